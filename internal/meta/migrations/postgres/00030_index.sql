-- +goose Up
-- Extraction results, by content: the same bytes are never extracted twice.
-- The text itself lives in files under data/text (see indexer).
CREATE TABLE extractions (
    blob       TEXT COLLATE "C" PRIMARY KEY REFERENCES blobs (sha256),
    status     TEXT COLLATE "C" NOT NULL CHECK (status IN ('ok', 'empty', 'unsupported', 'failed')),
    reason     TEXT COLLATE "C" NOT NULL DEFAULT '',
    lang       TEXT COLLATE "C" NOT NULL DEFAULT '',
    chars      BIGINT NOT NULL DEFAULT 0,
    extractor  TEXT COLLATE "C" NOT NULL DEFAULT '',
    attempts   BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);

-- Small persistent key/values for background workers (the indexer's journal cursor).
CREATE TABLE worker_state (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value TEXT COLLATE "C" NOT NULL
);

-- +goose Down
DROP TABLE worker_state;
DROP TABLE extractions;
