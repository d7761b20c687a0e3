-- +goose Up
-- Sessions are now stored under the SHA-256 of their id (auth.SessionStorage),
-- so a copy of the database holds no usable cookie. Rows written before
-- were keyed by the id itself: they are dropped (everyone logs in again once).
DELETE FROM sessions;

-- Secrets of the instance (the CSRF signing key), shared by every node.
-- Left out of backups: a restored instance makes new ones.
CREATE TABLE server_keys (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value BYTEA NOT NULL
);

-- +goose Down
DROP TABLE server_keys;
DELETE FROM sessions;
