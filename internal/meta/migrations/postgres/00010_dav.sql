-- +goose Up
-- WebDAV state: dead properties (PROPPATCH) and locks. Both hang off a node,
-- so a property follows its file when it is moved or renamed and a lock
-- dies with the node it was taken on.

CREATE TABLE dav_props (
    node_id BIGINT NOT NULL REFERENCES nodes (id),
    space   TEXT COLLATE "C" NOT NULL, -- XML namespace, '' for none
    local   TEXT COLLATE "C" NOT NULL,
    lang    TEXT COLLATE "C" NOT NULL DEFAULT '',
    xml     TEXT COLLATE "C" NOT NULL DEFAULT '', -- inner XML, self-contained (namespaces declared inside)
    PRIMARY KEY (node_id, space, local)
);

-- A lock holds while it has not expired and the node it was taken on is
-- still live at root (RFC 4918: locks do not follow a MOVE).
CREATE TABLE dav_locks (
    token      TEXT COLLATE "C" PRIMARY KEY, -- urn:uuid:…
    node_id    BIGINT NOT NULL REFERENCES nodes (id),
    root       TEXT COLLATE "C" NOT NULL, -- the locked path when the lock was taken
    depth      BIGINT NOT NULL CHECK (depth IN (0, -1)), -- -1: infinity
    shared     BIGINT NOT NULL DEFAULT 0,
    owner_xml  TEXT COLLATE "C" NOT NULL DEFAULT '',
    user_id    BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX dav_locks_node ON dav_locks (node_id);

-- +goose Down
DROP TABLE dav_locks;
DROP TABLE dav_props;
