-- +goose Up
-- One-time password-reset links an administrator makes for an account
-- (copied by hand, or mailed once outgoing mail exists). Only the SHA-256
-- of the random token is kept; a link works once, until expires_at.
CREATE TABLE password_resets (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES users (id),
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX password_resets_user ON password_resets (user_id);

-- +goose Down
DROP INDEX password_resets_user;
DROP TABLE password_resets;
