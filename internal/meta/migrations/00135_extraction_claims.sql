-- +goose Up
-- A text extraction in progress, so that servers sharing the database
-- extract a content once: the server whose row goes in extracts, the others
-- wait for its text (stored as a rendering of the content, kind 'text').
-- The row goes when the extraction ends; a row older than the extraction
-- timeout is a stopped server's and is taken over.
CREATE TABLE extraction_claims (
    blob       TEXT    PRIMARY KEY,
    node       TEXT    NOT NULL,
    claimed_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE extraction_claims;
