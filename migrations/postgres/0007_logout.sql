-- Logout by the standards: OpenID Connect Back-Channel Logout 1.0 and RP-Initiated
-- Logout 1.0.

-- The session id (`sid`, Back-Channel Logout §2.1) of a store session: random, never the
-- session token. Sessions from before this migration get one now.
ALTER TABLE store_sessions ADD COLUMN sid TEXT;
UPDATE store_sessions SET sid = gen_random_uuid()::text WHERE sid IS NULL;

-- The store session a code was issued in, so the ID token names it.
ALTER TABLE authorization_codes ADD COLUMN sid TEXT;

-- Where a client receives logout tokens, and where it may be sent after logging out
-- (JSON array, matched byte for byte).
ALTER TABLE oauth_clients ADD COLUMN backchannel_logout_uri TEXT;
ALTER TABLE oauth_clients ADD COLUMN post_logout_redirect_uris TEXT;

-- The provider's session behind a checkout session (its `sid`, when the provider sends
-- one) and the raw ID token, sent back as `id_token_hint` when the shopper logs out.
ALTER TABLE checkout_sessions ADD COLUMN sid TEXT;
ALTER TABLE checkout_sessions ADD COLUMN id_token TEXT;
CREATE INDEX checkout_sessions_by_provider_session ON checkout_sessions (issuer, sid);

-- `jti`s of logout tokens already acted on, kept until the token expires (single use).
CREATE TABLE logout_token_ids (
    issuer     TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, jti)
);
