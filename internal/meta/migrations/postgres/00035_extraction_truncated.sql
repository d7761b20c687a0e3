-- +goose Up
-- Whether the extracted text stopped at the text limit (extract.Limits.MaxTextBytes):
-- the end of such a document is not searchable, and stat says so.
ALTER TABLE extractions ADD COLUMN truncated BIGINT NOT NULL DEFAULT 0 CHECK (truncated IN (0, 1));

-- +goose Down
ALTER TABLE extractions DROP COLUMN truncated;
