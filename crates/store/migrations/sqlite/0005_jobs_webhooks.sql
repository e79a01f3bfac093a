-- Background work: jobs claimed by workers with a lease, retried with backoff, and the outbox's
-- deliveries among them (kind 'deliver'), written in the transaction of the change that causes
-- them. Times are Unix milliseconds, so a test clock can move them. Bookkeeping, not audited.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    -- At most one job per key: a schedule's slot, so several workers enqueue it once.
    dedupe_key TEXT UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'dead', 'discarded')),
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    lease_until BIGINT,
    leased_by TEXT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT,
    -- Deliveries: the channel, the id a receiver sees (X-Partnerhub-Delivery), the record the
    -- delivery is about, and what the channel answered (an issue's link, say).
    channel TEXT,
    delivery_id TEXT UNIQUE,
    subject_type TEXT,
    subject_id TEXT,
    result TEXT
);
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_subject ON jobs (subject_type, subject_id);

-- Webhook subscriptions: where events go. The URL and the signing secret are sealed with a key
-- kept outside the database; the hint (last four characters) is what lists show.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    url_sealed TEXT NOT NULL,
    url_hint TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    events TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TEXT NOT NULL
);
