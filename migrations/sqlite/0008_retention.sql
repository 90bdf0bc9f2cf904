-- Expired rows are deleted by a background task on every node (retention), a batch at a
-- time; these indexes let each batch find its rows without reading the whole table.
CREATE INDEX store_sessions_by_expiry ON store_sessions (expires_at);
CREATE INDEX authorization_requests_by_expiry ON authorization_requests (expires_at);
CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_at);
CREATE INDEX access_tokens_by_expiry ON access_tokens (expires_at);
CREATE INDEX client_assertion_ids_by_expiry ON client_assertion_ids (expires_at);
CREATE INDEX logout_token_ids_by_expiry ON logout_token_ids (expires_at);
