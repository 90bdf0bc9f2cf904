-- The outbox of events for the stores' webhooks (Standard Webhooks). A row is written in
-- the transaction that makes the event true (the order, the failed process), so an event
-- exists exactly when what it reports was committed. Every checkout node delivers due rows,
-- at least once: `id` is the `webhook-id` a receiver de-duplicates by.
-- Scheduling and claim times are Unix milliseconds (`_ms`), the others Unix seconds.
CREATE TABLE webhook_events (
    id                 TEXT PRIMARY KEY,
    store_id           TEXT NOT NULL REFERENCES stores (id),
    type               TEXT NOT NULL,
    -- The exact JSON body POSTed and signed, the same on every attempt.
    payload            TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    next_attempt_at_ms BIGINT NOT NULL,
    -- A node delivering the event holds it until then, so no other node sends it at the
    -- same time. A node that dies mid-delivery leaves it to be claimed again.
    locked_until_ms    BIGINT NOT NULL DEFAULT 0,
    attempts           BIGINT NOT NULL DEFAULT 0,
    delivered_at       BIGINT,
    given_up_at        BIGINT,
    -- The last failed attempt: the receiver's HTTP status, or none for a network error.
    last_status        BIGINT,
    last_error         TEXT,
    -- Set once delivered or given up: when retention deletes the row.
    expires_at         BIGINT
);
CREATE INDEX webhook_events_due ON webhook_events (next_attempt_at_ms)
    WHERE delivered_at IS NULL AND given_up_at IS NULL;
CREATE INDEX webhook_events_by_store ON webhook_events (store_id, created_at);
CREATE INDEX webhook_events_by_expiry ON webhook_events (expires_at);
