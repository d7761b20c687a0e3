-- +goose Up
-- Indexes fewer for every upload and every deletion to write (each is a
-- page of the commit's log and a b-tree to keep):
--
-- * one index of live names instead of two. (parent_id, lower(name), name)
--   is unique exactly where (parent_id, name) was (lower(name) follows from
--   name), and it serves both the walk by exact name, which also states
--   lower(name) = lower(?), and the case-twin check by lower(name) alone
--   (repo.admitName);
-- * the journal's (action, seq) index: no query reads it. The feeds and
--   digests read the journal newest first and stop at their limit, which
--   this index, with no statistics on SQLite, made a sort of most of it;
-- * the blobs' (last_used_at) index of live blobs: no query reads it
--   either (the sweep reads every live blob, then checks last_used_at on
--   each one it marks).
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
