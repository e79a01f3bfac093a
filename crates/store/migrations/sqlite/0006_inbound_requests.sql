-- Inbound alliance requests: the company's answers to the handbook's questions, the lead who
-- took them on, next steps, and the outcome (a partner, or a reason).
CREATE TABLE inbound_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    state TEXT NOT NULL CHECK (state IN ('new', 'claimed', 'in_discussion', 'accepted', 'declined', 'spam')),
    company TEXT NOT NULL,
    website TEXT,
    contact_name TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    interest TEXT NOT NULL,
    integration TEXT NOT NULL,
    benefits TEXT NOT NULL,
    relationship TEXT NOT NULL,
    document_url TEXT,
    received_via TEXT NOT NULL,
    logged_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    lead_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    notes TEXT,
    decline_reason TEXT,
    partner_id BIGINT REFERENCES partners (org_id) ON DELETE SET NULL,
    reminded_at BIGINT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX inbound_requests_state ON inbound_requests (state, created_at);

CREATE TABLE inbound_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id BIGINT NOT NULL REFERENCES inbound_requests (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    owner_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    due_on TEXT,
    done BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX inbound_steps_request ON inbound_steps (request_id);
