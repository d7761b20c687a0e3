-- +goose Up
-- Renderings derived from a content, by content: a thumbnail, the PDF of an
-- office document, a page of a PDF as an image, the first rows of a
-- spreadsheet. The same bytes are never rendered twice. The rendering is a
-- blob of its own (derived, in the blob store, so every node serves it);
-- the sweep of unused content keeps a blob as long as a row names it, and
-- the rows go with their source content.
CREATE TABLE previews (
    source     TEXT    NOT NULL REFERENCES blobs (sha256),
    kind       TEXT    NOT NULL,
    status     TEXT    NOT NULL CHECK (status IN ('ok', 'none', 'failed')),
    derived    TEXT,
    size       BIGINT  NOT NULL DEFAULT 0,
    mime       TEXT    NOT NULL DEFAULT '',
    width      INTEGER NOT NULL DEFAULT 0,
    height     INTEGER NOT NULL DEFAULT 0,
    pages      INTEGER NOT NULL DEFAULT 0,
    reason     TEXT    NOT NULL DEFAULT '',
    attempts   INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (source, kind)
);
CREATE INDEX previews_derived ON previews (derived);

-- +goose Down
DROP INDEX previews_derived;
DROP TABLE previews;
