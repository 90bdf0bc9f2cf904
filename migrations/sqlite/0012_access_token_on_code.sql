-- The access token lives on the row of the code it was issued from: the token endpoint
-- consumes the code and stores the token's hash in one UPDATE, with no transaction around
-- it, and /userinfo reads one row. There is one token per code, and the code's
-- `revoked_at` (a replayed code) is the token's revocation, as before.
ALTER TABLE authorization_codes ADD COLUMN access_token_hash TEXT;
ALTER TABLE authorization_codes ADD COLUMN access_token_expires_at BIGINT;
CREATE UNIQUE INDEX authorization_codes_by_access_token
    ON authorization_codes (access_token_hash);

-- Tokens issued before the upgrade keep working on the new nodes until they expire.
UPDATE authorization_codes
SET access_token_hash = (SELECT t.token_hash FROM access_tokens t
                         WHERE t.code_hash = authorization_codes.code_hash),
    access_token_expires_at = (SELECT t.expires_at FROM access_tokens t
                               WHERE t.code_hash = authorization_codes.code_hash);

-- `access_tokens` stays for this release: nodes of the previous one, still serving while
-- the new ones start, go on issuing and reading their tokens there. The next release
-- drops it.
