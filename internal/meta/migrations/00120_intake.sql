-- +goose Up
-- Mail intake (internal/intake): IMAP accounts an administrator watches,
-- and the ledger that makes every message imported exactly once.
--
-- rules is a JSON array of rules, tried in order (see repo.IntakeRule);
-- allow lists the senders (addresses or domains, one per line) whose mail
-- goes where the rules say; anyone else's goes to the quarantine folder.
-- The password is kept here unless password_file or password_env names
-- where to read it.
CREATE TABLE intake_accounts (
    id                INTEGER PRIMARY KEY,
    name              TEXT    NOT NULL UNIQUE,
    host              TEXT    NOT NULL,
    port              INTEGER NOT NULL,
    security          TEXT    NOT NULL DEFAULT 'tls',
    login             TEXT    NOT NULL,
    password          TEXT    NOT NULL DEFAULT '',
    password_file     TEXT    NOT NULL DEFAULT '',
    password_env      TEXT    NOT NULL DEFAULT '',
    mailbox           TEXT    NOT NULL DEFAULT 'INBOX',
    processed         TEXT    NOT NULL DEFAULT 'flag',
    processed_mailbox TEXT    NOT NULL DEFAULT '',
    allow             TEXT    NOT NULL DEFAULT '',
    quarantine        TEXT    NOT NULL DEFAULT '/Courriels en quarantaine',
    rules             TEXT    NOT NULL DEFAULT '[]',
    enabled           INTEGER NOT NULL DEFAULT 1,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    -- status, written by the intake worker
    last_poll         INTEGER NOT NULL DEFAULT 0,
    last_success      INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT    NOT NULL DEFAULT '',
    last_error_at     INTEGER NOT NULL DEFAULT 0,
    idle              INTEGER NOT NULL DEFAULT 0,
    imported          INTEGER NOT NULL DEFAULT 0,
    quarantined       INTEGER NOT NULL DEFAULT 0,
    refused           INTEGER NOT NULL DEFAULT 0
);

-- One row per message handled, whatever became of it, keyed by its
-- Message-ID (or the SHA-256 of its bytes when it has none): the same mail
-- seen again, in another folder or another account, is not imported again.
CREATE TABLE intake_messages (
    msg_key     TEXT    PRIMARY KEY,
    account_id  INTEGER NOT NULL,
    state       TEXT    NOT NULL,
    sender      TEXT    NOT NULL DEFAULT '',
    subject     TEXT    NOT NULL DEFAULT '',
    folder      TEXT    NOT NULL DEFAULT '',
    files       INTEGER NOT NULL DEFAULT 0,
    detail      TEXT    NOT NULL DEFAULT '',
    at          INTEGER NOT NULL
);
CREATE INDEX intake_messages_account ON intake_messages (account_id, at);

-- Which message a mailbox's UID held: a message listed again (a restart, a
-- flag that did not reach the server) is recognised without fetching it.
CREATE TABLE intake_uids (
    account_id  INTEGER NOT NULL,
    uidvalidity INTEGER NOT NULL,
    uid         INTEGER NOT NULL,
    msg_key     TEXT    NOT NULL,
    PRIMARY KEY (account_id, uidvalidity, uid)
);

-- One row per file an import created, written in the transaction that
-- creates the file: a crash after it leaves a row, a crash before it
-- leaves neither, so a message taken up again skips exactly what exists.
CREATE TABLE intake_files (
    part_key   TEXT    PRIMARY KEY,
    node_id    INTEGER NOT NULL,
    at         INTEGER NOT NULL
);

-- Errors with their reason, for the administration page (the newest few
-- hundred per account are kept).
CREATE TABLE intake_errors (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    subject     TEXT    NOT NULL DEFAULT '',
    reason      TEXT    NOT NULL
);
CREATE INDEX intake_errors_account ON intake_errors (account_id, id);

-- +goose Down
DROP INDEX intake_errors_account;
DROP TABLE intake_errors;
DROP TABLE intake_files;
DROP TABLE intake_uids;
DROP INDEX intake_messages_account;
DROP TABLE intake_messages;
DROP TABLE intake_accounts;
