-- +goose Up
-- The SMTP relay as an administrator set it in « Administration →
-- E-mails » (internal/mail, docs/mail.md). One row (id 1). Keys set in
-- the configuration file or the environment take precedence over these.
-- version grows with each save: every server's sender compares it to the
-- one it last used, so a change made on one server applies on all of
-- them without a restart. password is '' for none.
CREATE TABLE mail_relay (
    id         INTEGER PRIMARY KEY,
    host       TEXT    NOT NULL DEFAULT '',
    port       INTEGER NOT NULL DEFAULT 587,
    security   TEXT    NOT NULL DEFAULT 'starttls',
    username   TEXT    NOT NULL DEFAULT '',
    password   TEXT    NOT NULL DEFAULT '',
    sender     TEXT    NOT NULL DEFAULT '',
    version    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by INTEGER REFERENCES users (id) ON DELETE SET NULL
);

-- +goose Down
DROP TABLE mail_relay;
