-- +goose Up
-- Times are Unix nanoseconds (INTEGER) so ordering and arithmetic stay
-- portable between SQLite and PostgreSQL (BIGINT there).

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    login         TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL DEFAULT '',
    email         TEXT    NOT NULL DEFAULT '',
    role          TEXT    NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member', 'guest')),
    lang          TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL DEFAULT '',
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE groups (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE group_members (
    group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);

CREATE TABLE app_passwords (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    hash         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);

CREATE TABLE sessions (
    id         TEXT    PRIMARY KEY,
    data       BLOB    NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE blobs (
    sha256     TEXT    PRIMARY KEY,
    size       INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE nodes (
    id                 INTEGER PRIMARY KEY,
    parent_id          INTEGER REFERENCES nodes (id),
    name               TEXT    NOT NULL,
    kind               TEXT    NOT NULL CHECK (kind IN ('dir', 'file')),
    current_version_id INTEGER,
    mtime              INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    created_by         INTEGER REFERENCES users (id),
    updated_at         INTEGER NOT NULL,
    updated_by         INTEGER REFERENCES users (id),
    deleted_at         INTEGER,
    deleted_by         INTEGER REFERENCES users (id)
);
-- A name is unique among live siblings; trashed nodes keep theirs.
CREATE UNIQUE INDEX nodes_live_name ON nodes (parent_id, name) WHERE deleted_at IS NULL;
CREATE INDEX nodes_parent ON nodes (parent_id);
CREATE INDEX nodes_deleted ON nodes (deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE versions (
    id         INTEGER PRIMARY KEY,
    node_id    INTEGER NOT NULL REFERENCES nodes (id),
    number     INTEGER NOT NULL,
    blob       TEXT    NOT NULL REFERENCES blobs (sha256),
    size       INTEGER NOT NULL,
    mime       TEXT    NOT NULL,
    author     INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    mtime      INTEGER NOT NULL,
    label      TEXT    NOT NULL DEFAULT '',
    pinned     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (node_id, number)
);
CREATE INDEX versions_blob ON versions (blob);

CREATE TABLE tags (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE,
    color TEXT NOT NULL DEFAULT ''
);

CREATE TABLE node_tags (
    node_id INTEGER NOT NULL REFERENCES nodes (id),
    tag_id  INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (node_id, tag_id)
);
CREATE INDEX node_tags_tag ON node_tags (tag_id);

-- principal_kind: user | group | members | public; principal_id is 0 for
-- members and public.
CREATE TABLE grants (
    id             INTEGER PRIMARY KEY,
    node_id        INTEGER NOT NULL REFERENCES nodes (id),
    principal_kind TEXT    NOT NULL CHECK (principal_kind IN ('user', 'group', 'members', 'public')),
    principal_id   INTEGER NOT NULL DEFAULT 0,
    role           TEXT    NOT NULL CHECK (role IN ('viewer', 'editor', 'manager')),
    created_at     INTEGER NOT NULL,
    created_by     INTEGER REFERENCES users (id),
    UNIQUE (node_id, principal_kind, principal_id)
);

CREATE TABLE journal (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    actor   INTEGER REFERENCES users (id),
    node_id INTEGER,
    action  TEXT    NOT NULL,
    details TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX journal_node ON journal (node_id);

-- The root folder always exists, with id 1; members may edit it by default.
INSERT INTO nodes (id, parent_id, name, kind, mtime, created_at, updated_at)
VALUES (1, NULL, '', 'dir', 0, 0, 0);
INSERT INTO grants (node_id, principal_kind, principal_id, role, created_at)
VALUES (1, 'members', 0, 'editor', 0);

-- +goose Down
DROP TABLE journal;
DROP TABLE grants;
DROP TABLE node_tags;
DROP TABLE tags;
DROP TABLE versions;
DROP TABLE nodes;
DROP TABLE blobs;
DROP TABLE sessions;
DROP TABLE app_passwords;
DROP TABLE group_members;
DROP TABLE groups;
DROP TABLE users;
