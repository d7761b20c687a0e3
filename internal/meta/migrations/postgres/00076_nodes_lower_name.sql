-- +goose Up
-- Names equal but for case are one file on Windows and macOS, so a new name
-- is checked against its live siblings ignoring case (repo.admitName). This
-- index finds them without reading the whole folder: lower() folds ASCII
-- letters in SQLite; the query asks for each way the other letters can be
-- written.
CREATE INDEX nodes_live_lower_name ON nodes (parent_id, lower(name)) WHERE deleted_at IS NULL;

-- +goose Down
DROP INDEX nodes_live_lower_name;
