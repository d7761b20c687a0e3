-- +goose Up
-- Extraction results, by content: the same bytes are never extracted twice.
-- The text itself lives in files under data/text (see indexer).
CREATE TABLE extractions (
    blob       TEXT    PRIMARY KEY REFERENCES blobs (sha256),
    status     TEXT    NOT NULL CHECK (status IN ('ok', 'empty', 'unsupported', 'failed')),
    reason     TEXT    NOT NULL DEFAULT '',
    lang       TEXT    NOT NULL DEFAULT '',
    chars      INTEGER NOT NULL DEFAULT 0,
    extractor  TEXT    NOT NULL DEFAULT '',
    attempts   INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);

-- Small persistent key/values for background workers (the indexer's journal cursor).
CREATE TABLE worker_state (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- +goose Down
DROP TABLE worker_state;
DROP TABLE extractions;
