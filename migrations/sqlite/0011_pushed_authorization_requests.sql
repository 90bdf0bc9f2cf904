-- Pushed Authorization Requests (RFC 9126). A client pushes its authorization request over
-- the back channel and gets a one-time `request_uri`; the browser then carries only that
-- reference. Stored here, not in a node's memory, so any node serves the /authorize that
-- follows. Only the SHA-256 of the reference is kept; /authorize deletes the row to use it
-- (single use across nodes). `params` holds the pushed parameters form-encoded, without the
-- client's credentials, and is validated again when used.
CREATE TABLE pushed_authorization_requests (
    request_uri_hash TEXT PRIMARY KEY,
    store_id         TEXT NOT NULL REFERENCES stores (id),
    client_id        TEXT NOT NULL,
    params           TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL
);
CREATE INDEX pushed_authorization_requests_by_expiry ON pushed_authorization_requests (expires_at);

-- A client registered with this flag may only use /authorize through a pushed request
-- (RFC 9126 §6): a front-channel request naming it is refused.
ALTER TABLE oauth_clients
    ADD COLUMN require_pushed_authorization_requests BIGINT NOT NULL DEFAULT 0;
