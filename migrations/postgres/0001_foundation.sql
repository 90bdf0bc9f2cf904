-- Stores, the shared catalog, per-store customers, baskets and orders, and each store's
-- OpenID provider state. Only TEXT and BIGINT columns, so one query text serves both
-- backends; ids are random UUIDs as text, times are Unix seconds.

CREATE TABLE stores (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    host TEXT NOT NULL
);

-- Products are shared by every store.
CREATE TABLE products (
    id          TEXT PRIMARY KEY,
    sku         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    price_minor BIGINT NOT NULL CHECK (price_minor >= 0),
    currency    TEXT NOT NULL
);

CREATE TABLE customers (
    id            TEXT PRIMARY KEY,
    store_id      TEXT NOT NULL REFERENCES stores (id),
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    name          TEXT NOT NULL,
    phone         TEXT,
    -- JSON of domain::Address; NULL until the customer saves one.
    billing_address TEXT,
    created_at    BIGINT NOT NULL,
    UNIQUE (store_id, email)
);

-- A customer's login session at the store site (cookie on the store host).
CREATE TABLE store_sessions (
    token_hash  TEXT PRIMARY KEY,
    store_id    TEXT NOT NULL REFERENCES stores (id),
    customer_id TEXT NOT NULL REFERENCES customers (id),
    auth_time   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);

CREATE TABLE baskets (
    id          TEXT PRIMARY KEY,
    store_id    TEXT NOT NULL REFERENCES stores (id),
    customer_id TEXT REFERENCES customers (id),
    status      TEXT NOT NULL CHECK (status IN ('open', 'frozen', 'ordered')),
    currency    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX baskets_by_customer ON baskets (store_id, customer_id);

CREATE TABLE basket_lines (
    basket_id  TEXT NOT NULL REFERENCES baskets (id),
    store_id   TEXT NOT NULL REFERENCES stores (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    quantity   BIGINT NOT NULL CHECK (quantity > 0 AND quantity <= 99),
    PRIMARY KEY (basket_id, product_id)
);

-- One order per basket, whatever the retries: the database decides, not the handler.
CREATE TABLE orders (
    id               TEXT PRIMARY KEY,
    store_id         TEXT NOT NULL REFERENCES stores (id),
    basket_id        TEXT NOT NULL REFERENCES baskets (id),
    customer_id      TEXT REFERENCES customers (id),
    number           TEXT NOT NULL UNIQUE,
    email            TEXT NOT NULL,
    billing_address  TEXT NOT NULL,
    delivery_address TEXT,
    delivery_method  TEXT NOT NULL,
    payment_method   TEXT NOT NULL,
    total_minor      BIGINT NOT NULL,
    currency         TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    UNIQUE (store_id, basket_id)
);
CREATE INDEX orders_by_customer ON orders (store_id, customer_id);

CREATE TABLE order_lines (
    order_id         TEXT NOT NULL REFERENCES orders (id),
    product_id       TEXT NOT NULL REFERENCES products (id),
    name             TEXT NOT NULL,
    quantity         BIGINT NOT NULL,
    unit_price_minor BIGINT NOT NULL,
    PRIMARY KEY (order_id, product_id)
);

-- OAuth clients registered at one store's provider.
CREATE TABLE oauth_clients (
    store_id      TEXT NOT NULL REFERENCES stores (id),
    client_id     TEXT NOT NULL,
    -- JSON array; matched byte for byte, never normalised (RFC 9700 §2.1).
    redirect_uris TEXT NOT NULL,
    auth_method   TEXT NOT NULL
        CHECK (auth_method IN ('client_secret_basic', 'client_secret_post', 'private_key_jwt')),
    secret_hash   TEXT,
    jwks_uri      TEXT,
    id_token_alg  TEXT NOT NULL CHECK (id_token_alg IN ('RS256', 'ES256')),
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (store_id, client_id)
);

-- A validated authorization request waiting for the customer to log in.
CREATE TABLE authorization_requests (
    id         TEXT PRIMARY KEY,
    store_id   TEXT NOT NULL REFERENCES stores (id),
    request    TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE authorization_codes (
    code_hash      TEXT PRIMARY KEY,
    store_id       TEXT NOT NULL REFERENCES stores (id),
    client_id      TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    customer_id    TEXT NOT NULL REFERENCES customers (id),
    basket_id      TEXT REFERENCES baskets (id),
    code_challenge TEXT NOT NULL,
    nonce          TEXT,
    scope          TEXT NOT NULL,
    auth_time      BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    consumed_at    BIGINT,
    -- Set when the code is presented a second time: every token issued from it dies.
    revoked_at     BIGINT
);

CREATE TABLE access_tokens (
    token_hash  TEXT PRIMARY KEY,
    store_id    TEXT NOT NULL REFERENCES stores (id),
    client_id   TEXT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    scope       TEXT NOT NULL,
    code_hash   TEXT NOT NULL REFERENCES authorization_codes (code_hash),
    expires_at  BIGINT NOT NULL
);
CREATE INDEX access_tokens_by_code ON access_tokens (code_hash);

-- `jti`s of private_key_jwt client assertions, kept until they expire (single use).
CREATE TABLE client_assertion_ids (
    store_id   TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (store_id, client_id, jti)
);
