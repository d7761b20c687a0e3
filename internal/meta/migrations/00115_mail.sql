-- +goose Up
-- Outgoing mail waits here until the sender job hands it to the SMTP
-- relay (docs/mail.md). A row is claimed (claimed_at) before it is sent
-- and marked sent_at right after the relay accepted it; failed_at means
-- the job gave up (too old or refused for good). dedup_key, when set,
-- makes a second Enqueue of the same notice (a digest period, a reminder)
-- a no-op. A digest is stored as its payload (who, which period) and
-- rendered when it is sent, so it tells only what its reader may read then.
CREATE TABLE mail_outbox (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,
    recipient   TEXT    NOT NULL,
    user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    subject     TEXT    NOT NULL,
    text_body   TEXT    NOT NULL,
    html_body   TEXT    NOT NULL DEFAULT '',
    headers     TEXT    NOT NULL DEFAULT '{}',
    payload     TEXT    NOT NULL DEFAULT '',
    message_id  TEXT    NOT NULL UNIQUE,
    dedup_key   TEXT    UNIQUE,
    created_at  INTEGER NOT NULL,
    next_at     INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT    NOT NULL DEFAULT '',
    claimed_at  INTEGER,
    sent_at     INTEGER,
    failed_at   INTEGER
);
CREATE INDEX mail_outbox_due ON mail_outbox (sent_at, failed_at, next_at);

-- What each person follows by e-mail: a folder (by node id, so renames
-- and moves keep the subscription), a tag (by name) or a collection.
CREATE TABLE mail_follows (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    target     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, kind, target)
);

-- Each person's mail choices. digest: off, daily or weekly; digest_until
-- is the end of the last period a digest was made for (the next one starts
-- there, so no change is told twice or skipped).
CREATE TABLE mail_prefs (
    user_id       INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    digest        TEXT    NOT NULL DEFAULT 'weekly',
    notify_shares INTEGER NOT NULL DEFAULT 1,
    notify_drops  INTEGER NOT NULL DEFAULT 1,
    digest_until  INTEGER NOT NULL DEFAULT 0
);

-- E-mail address changes waiting for the new address to confirm.
CREATE TABLE email_changes (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT    NOT NULL,
    hash       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX email_changes_user ON email_changes (user_id);

-- +goose Down
DROP INDEX email_changes_user;
DROP TABLE email_changes;
DROP TABLE mail_prefs;
DROP TABLE mail_follows;
DROP INDEX mail_outbox_due;
DROP TABLE mail_outbox;
