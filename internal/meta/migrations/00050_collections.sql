-- +goose Up
-- Collections: an ordered, annotated list of files and folders for an
-- audience (groups, or every member). Items point at nodes by id, so moving
-- or renaming a document keeps it in its collections.
CREATE TABLE collections (
    id          INTEGER PRIMARY KEY,
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '', -- Markdown
    welcome     INTEGER NOT NULL DEFAULT 0,  -- shown on new members' home page until finished
    created_at  INTEGER NOT NULL,
    created_by  INTEGER REFERENCES users (id),
    updated_at  INTEGER NOT NULL
);

CREATE TABLE collection_items (
    id            INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    node_id       INTEGER NOT NULL REFERENCES nodes (id),
    position      INTEGER NOT NULL,
    note          TEXT    NOT NULL DEFAULT '',
    UNIQUE (collection_id, node_id)
);
CREATE INDEX collection_items_node ON collection_items (node_id);

-- principal_kind: group (principal_id = group id) or members (0).
CREATE TABLE collection_audience (
    collection_id  INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    principal_kind TEXT    NOT NULL CHECK (principal_kind IN ('group', 'members')),
    principal_id   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (collection_id, principal_kind, principal_id)
);

-- One row per person and item read.
CREATE TABLE collection_progress (
    item_id INTEGER NOT NULL REFERENCES collection_items (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    read_at INTEGER NOT NULL,
    PRIMARY KEY (item_id, user_id)
);
CREATE INDEX collection_progress_user ON collection_progress (user_id);

-- A private feed token per person: only its SHA-256 is kept.
CREATE TABLE feed_tokens (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE feed_tokens;
DROP TABLE collection_progress;
DROP TABLE collection_audience;
DROP TABLE collection_items;
DROP TABLE collections;
