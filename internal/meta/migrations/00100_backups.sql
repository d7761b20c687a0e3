-- +goose Up
-- Scheduled backups (internal/backup/schedule): the settings an
-- administrator saved in the browser (one row; the YAML file's backup
-- section applies while there is none), every backup and verification
-- run with its result, so the « Sauvegardes » page and the alerts survive
-- restarts, and the contents a verification found damaged or missing in a
-- target, copied again by the next backup. Times are unix seconds.
CREATE TABLE backup_settings (
    id         INTEGER PRIMARY KEY,
    settings   TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by INTEGER REFERENCES users (id) ON DELETE SET NULL
);

CREATE TABLE backup_runs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL, -- backup or verify
    target      TEXT    NOT NULL, -- the target's name
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,          -- NULL while running (or interrupted)
    duration_ms INTEGER NOT NULL DEFAULT 0,
    ok          INTEGER NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT '',
    snapshot    TEXT    NOT NULL DEFAULT '',
    bytes       INTEGER NOT NULL DEFAULT 0, -- content the snapshot refers to
    copied      INTEGER NOT NULL DEFAULT 0, -- bytes copied by this run
    snapshots   INTEGER NOT NULL DEFAULT 0, -- snapshots kept in the target after the run
    stored      INTEGER NOT NULL DEFAULT 0, -- bytes the target holds, when known
    trigger_by  TEXT    NOT NULL DEFAULT '' -- schedule, retry, a login (« maintenant »)
);
CREATE INDEX backup_runs_kind ON backup_runs (kind, target, started_at);

CREATE TABLE backup_bad_blobs (
    target   TEXT    NOT NULL,
    sha256   TEXT    NOT NULL,
    found_at INTEGER NOT NULL,
    PRIMARY KEY (target, sha256)
);

-- +goose Down
DROP TABLE backup_bad_blobs;
DROP INDEX backup_runs_kind;
DROP TABLE backup_runs;
DROP TABLE backup_settings;
