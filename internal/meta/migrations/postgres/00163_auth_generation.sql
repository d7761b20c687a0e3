-- +goose Up
-- PostgreSQL counterpart of ../00163_auth_generation.sql (see CONTRIBUTING.md).
-- One row that takes a new random value in every transaction that changes
-- accounts, groups, roles, terms of office or app passwords. A server
-- remembers a device's checked secret only while the row still holds the
-- value read before the check (internal/auth/devices.go), so a change made
-- by any server sharing the database counts at the next request.
CREATE TABLE auth_generation (
	id BIGINT PRIMARY KEY CHECK (id = 1),
	value BIGINT NOT NULL
);
INSERT INTO auth_generation (id, value) VALUES (1, 0);

-- +goose Down
DROP TABLE auth_generation;
