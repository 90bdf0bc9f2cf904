-- Every change to a basket's lines or owner adds one to its version. An order placed in
-- one transaction (engine::place_at_once) is made of the basket as its request read it: the
-- update that marks the basket ordered names the version that request saw, and finds no
-- row when anything changed since.
ALTER TABLE baskets ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
