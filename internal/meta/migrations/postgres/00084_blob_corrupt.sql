-- +goose Up
-- When a blob was found altered in the store (its content no longer matches
-- its SHA-256): every door then answers an error for it instead of serving
-- it, until the content is uploaded again (see repo/content.go).
ALTER TABLE blobs ADD COLUMN corrupt_at BIGINT;

-- +goose Down
ALTER TABLE blobs DROP COLUMN corrupt_at;
