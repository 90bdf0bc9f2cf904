-- The checkout's side of the login handoff (DESIGN.md steps 2, 6 and 9). Secrets that
-- travel through the browser are stored only as SHA-256 hashes.

-- A login in flight: created when the shopper clicks "Log in with {store}", consumed (deleted)
-- by the callback, whatever its outcome.
CREATE TABLE login_transactions (
    -- hash of the `state` parameter; the callback finds the transaction by it
    state_hash    TEXT PRIMARY KEY,
    -- hash of the `checkout_login` cookie that binds the transaction to one browser
    browser_hash  TEXT NOT NULL,
    store_id      TEXT NOT NULL REFERENCES stores (id),
    basket_id     TEXT NOT NULL REFERENCES baskets (id),
    nonce_hash    TEXT NOT NULL,
    -- kept in clear because the token request needs it; worthless without the one-time code
    pkce_verifier TEXT NOT NULL,
    -- issuer of the store's provider when the login started (RFC 9207 mix-up defence)
    issuer        TEXT NOT NULL,
    redirect_uri  TEXT NOT NULL,
    -- 1 when the provider advertised basket_binding_supported: the ID token must then carry it
    basket_bound  BIGINT NOT NULL,
    -- the guest checkout session of this basket, whose draft the logged-in session inherits
    previous_session_hash TEXT,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX login_transactions_by_expiry ON login_transactions (expires_at);

-- The shopper's checkout session for ONE basket of ONE store (cookie on the checkout host).
-- The identity is keyed by (issuer, subject), never by email.
CREATE TABLE checkout_sessions (
    token_hash  TEXT PRIMARY KEY,
    store_id    TEXT NOT NULL REFERENCES stores (id),
    basket_id   TEXT NOT NULL REFERENCES baskets (id),
    issuer      TEXT,
    subject     TEXT,
    -- set when the issuer is this deployment's own provider for the store
    customer_id TEXT REFERENCES customers (id),
    email       TEXT,
    name        TEXT,
    phone       TEXT,
    -- JSON of domain::Address
    address     TEXT,
    -- JSON the checkout pages keep between steps
    draft       TEXT,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX checkout_sessions_by_basket ON checkout_sessions (store_id, basket_id);
CREATE INDEX checkout_sessions_by_expiry ON checkout_sessions (expires_at);
