-- The place-order process and the payments it starts. Only TEXT and BIGINT columns, as in
-- 0001. Lease and scheduling times are Unix *milliseconds* (columns end in `_ms`), because
-- a lease of a few seconds needs finer steps than the seconds used elsewhere.

-- One process per basket: a repeated "place order" finds this row instead of starting a
-- second process. A failed process is reused for the next attempt (attempt + 1, new
-- idempotency key).
CREATE TABLE place_order_processes (
    id                  TEXT PRIMARY KEY,
    store_id            TEXT NOT NULL REFERENCES stores (id),
    basket_id           TEXT NOT NULL REFERENCES baskets (id),
    state               TEXT NOT NULL,
    failure_reason      TEXT,
    failure_message     TEXT,
    attempt             BIGINT NOT NULL,
    -- Carried by every payment call of this attempt; new only after a failed attempt.
    idempotency_key     TEXT NOT NULL,
    -- JSON of placeorder::PlaceOrderRequest.
    request             TEXT NOT NULL,
    -- JSON of the frozen basket's lines, taken when the basket is validated.
    basket_snapshot     TEXT,
    amount_minor        BIGINT,
    currency            TEXT,
    payment_id          TEXT,
    -- JSON of payment::FlowAction while waiting for the customer.
    action              TEXT,
    order_id            TEXT,
    order_number        TEXT,
    cancel_requested    BIGINT NOT NULL DEFAULT 0,
    retries             BIGINT NOT NULL DEFAULT 0,
    next_run_at_ms      BIGINT NOT NULL,
    state_entered_at_ms BIGINT NOT NULL,
    -- The lease: whoever holds an unexpired lease processes the steps. Every write checks
    -- `fencing_token`, which grows on every acquisition and release, so a node that lost
    -- its lease cannot write.
    lease_owner         TEXT,
    lease_expires_at_ms BIGINT NOT NULL DEFAULT 0,
    fencing_token       BIGINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL,
    updated_at_ms       BIGINT NOT NULL,
    UNIQUE (store_id, basket_id)
);
CREATE INDEX place_order_processes_due ON place_order_processes (state, next_run_at_ms);

-- A payment as a gateway started it; one per (gateway, idempotency key), so a repeated
-- start returns the same payment.
CREATE TABLE payments (
    id              TEXT PRIMARY KEY,
    store_id        TEXT NOT NULL REFERENCES stores (id),
    basket_id       TEXT NOT NULL REFERENCES baskets (id),
    process_id      TEXT NOT NULL REFERENCES place_order_processes (id),
    gateway         TEXT NOT NULL,
    method          TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    amount_minor    BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('unapproved', 'approved', 'completed',
        'failed', 'aborted', 'cancelled', 'waiting_for_customer')),
    -- Where the hosted payment page sends the shopper back (the checkout's payment step).
    return_url      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (store_id, gateway, idempotency_key)
);
CREATE INDEX payments_by_status ON payments (status, updated_at);

-- A customer of a third-party store provider has no row in `customers`: the order keeps
-- the verified (issuer, subject) instead.
ALTER TABLE orders ADD COLUMN customer_issuer TEXT;
ALTER TABLE orders ADD COLUMN customer_subject TEXT;
ALTER TABLE orders ADD COLUMN payment_gateway TEXT;
ALTER TABLE orders ADD COLUMN payment_id TEXT;
CREATE INDEX orders_by_payment ON orders (store_id, payment_id);
