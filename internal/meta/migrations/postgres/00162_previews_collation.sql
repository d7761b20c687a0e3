-- +goose Up
-- The renderings' content hashes get the "C" collation of every other hash
-- column (blobs.sha256, versions.blob): compared with one of those, a
-- column of the database's default collation could not use its index, and
-- reading a file's stored text by the file (search snippets, one query per
-- hit) scanned every rendering.
ALTER TABLE previews ALTER COLUMN source TYPE TEXT COLLATE "C";
ALTER TABLE previews ALTER COLUMN derived TYPE TEXT COLLATE "C";

-- +goose Down
ALTER TABLE previews ALTER COLUMN source TYPE TEXT;
ALTER TABLE previews ALTER COLUMN derived TYPE TEXT;
