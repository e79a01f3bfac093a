-- When an admin last put a delivery back in line: its age (for giving up) counts from then.
ALTER TABLE jobs ADD COLUMN retried_at BIGINT;
