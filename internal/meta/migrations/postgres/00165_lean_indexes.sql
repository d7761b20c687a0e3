-- +goose Up
-- PostgreSQL counterpart of ../00165_lean_indexes.sql (see CONTRIBUTING.md):
-- one index of live names, (parent_id, lower(name), name), instead of two,
-- and no (action, seq) index on the journal or (last_used_at) index on the
-- blobs, which no query needs.
DROP INDEX journal_action;
DROP INDEX blobs_collectable;
DROP INDEX nodes_live_lower_name;
DROP INDEX nodes_live_name;
CREATE UNIQUE INDEX nodes_live_name ON nodes (parent_id, lower(name), name) WHERE deleted_at IS NULL;

-- +goose Down
DROP INDEX nodes_live_name;
CREATE UNIQUE INDEX nodes_live_name ON nodes (parent_id, name) WHERE deleted_at IS NULL;
CREATE INDEX nodes_live_lower_name ON nodes (parent_id, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX blobs_collectable ON blobs (last_used_at) WHERE state = 'live';
CREATE INDEX journal_action ON journal (action, seq);
