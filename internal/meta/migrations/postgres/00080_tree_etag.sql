-- +goose Up
-- A folder's change counter, bumped for the folder and all its ancestors
-- in the transaction of every change below it, so that a folder's ETag
-- moves whenever anything inside it changes (sync clients compare the
-- root's ETag to learn in one request that nothing changed).
ALTER TABLE nodes ADD COLUMN tree_seq BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE nodes DROP COLUMN tree_seq;
