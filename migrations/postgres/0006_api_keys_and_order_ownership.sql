-- API keys of headless storefronts, one store each. Only the SHA-256 of a key is kept:
-- the key itself is printed once by `api-key create`.
CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    store_id   TEXT NOT NULL REFERENCES stores (id),
    name       TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    -- Set by `api-key revoke`; a revoked key authenticates nothing.
    revoked_at BIGINT
);
CREATE INDEX api_keys_by_store ON api_keys (store_id, created_at);

-- SHA-256 of the canonical request a place-order attempt was started with (details,
-- total and who started it): a repeated start must match it, or it is refused.
ALTER TABLE place_order_processes ADD COLUMN request_fingerprint TEXT;

-- Processes started before this migration have no recorded starter: they are given one
-- that no caller is (an API key id that is never issued), so the workers still finish them
-- but no page or key can read or take them over.
UPDATE place_order_processes
SET request = '{"starter":{"kind":"api_key","key_id":"before-0006"},' || substr(request, 2)
WHERE request NOT LIKE '%"starter"%';
