-- +goose Up
-- Sync apps being connected (Nextcloud Login Flow v1 and v2), kept in the
-- database so that any server answers the app's polls and the browser's
-- confirmation. Tokens are stored as SHA-256 digests; no password is kept:
-- the app password is made when the app (v2 poll) or its web view (v1)
-- collects a confirmed flow, and the row goes in the same step.
CREATE TABLE login_flows (
    login_hash TEXT    PRIMARY KEY,
    poll_hash  TEXT    NOT NULL UNIQUE,
    app        TEXT    NOT NULL,
    device     TEXT    NOT NULL,
    redirect   INTEGER NOT NULL DEFAULT 0,
    user_id    INTEGER REFERENCES users(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);
CREATE INDEX login_flows_expires ON login_flows (expires_at);

-- +goose Down
DROP TABLE login_flows;
