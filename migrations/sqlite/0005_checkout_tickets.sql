-- The store's handoff of a basket to the checkout: a one-time ticket in the checkout URL,
-- stored only as its SHA-256 hash, bound to one store and one basket, valid 60 seconds.
-- The checkout deletes the row to redeem it (single use across nodes).
CREATE TABLE checkout_tickets (
    ticket_hash TEXT PRIMARY KEY,
    store_id    TEXT NOT NULL REFERENCES stores (id),
    basket_id   TEXT NOT NULL REFERENCES baskets (id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX checkout_tickets_by_expiry ON checkout_tickets (expires_at);
