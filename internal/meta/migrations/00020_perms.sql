-- +goose Up
-- Accounts: "log out everywhere" bumps session_epoch, which every session
-- carries; app_passwords_only refuses the account password over HTTP Basic
-- (WebDAV, API clients) so only revocable app passwords work there.
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN app_passwords_only INTEGER NOT NULL DEFAULT 0;

-- App passwords are random 140-bit secrets: a SHA-256 is enough to store
-- them (no slow hash needed), and lets Basic logins compare cheaply.
CREATE INDEX app_passwords_user ON app_passwords (user_id);

-- Share links: a secret token (only its SHA-256 is kept) giving a link
-- holder viewer access to a node's subtree, or an upload-only drop box.
CREATE TABLE share_links (
    id            INTEGER PRIMARY KEY,
    token_hash    TEXT    NOT NULL UNIQUE,
    node_id       INTEGER NOT NULL REFERENCES nodes (id),
    kind          TEXT    NOT NULL CHECK (kind IN ('viewer', 'dropbox')),
    label         TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL DEFAULT '',
    expires_at    INTEGER,
    max_downloads INTEGER NOT NULL DEFAULT 0,
    downloads     INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    created_by    INTEGER REFERENCES users (id),
    revoked_at    INTEGER,
    revoked_by    INTEGER REFERENCES users (id),
    last_used_at  INTEGER
);
CREATE INDEX share_links_node ON share_links (node_id);

-- The audit view filters the journal by action.
CREATE INDEX journal_action ON journal (action, seq);

-- +goose Down
DROP INDEX journal_action;
DROP TABLE share_links;
DROP INDEX app_passwords_user;
ALTER TABLE users DROP COLUMN app_passwords_only;
ALTER TABLE users DROP COLUMN session_epoch;
