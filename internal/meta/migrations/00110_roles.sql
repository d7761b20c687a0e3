-- +goose Up
-- Roles (« rôles »: Trésorier·e, Président·e…) are principals like groups,
-- but people hold them for terms of office (« mandats »): a term gives the
-- role's grants from start_at until end_at (excluded; NULL: open-ended),
-- evaluated at request time, so rights end at the date by themselves.
-- seed_key names a role seeded here: while its name is the seeded one, the
-- interface shows it in the reader's language. A deleted role keeps its
-- row (deleted_at) so the register of terms keeps its name.
CREATE TABLE roles (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    seed_key    TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    deleted_at  INTEGER
);
CREATE UNIQUE INDEX roles_live_name ON roles (name) WHERE deleted_at IS NULL;

INSERT INTO roles (name, seed_key, created_at) VALUES ('Président·e', 'president', 0);
INSERT INTO roles (name, seed_key, created_at) VALUES ('Trésorier·e', 'treasurer', 0);
INSERT INTO roles (name, seed_key, created_at) VALUES ('Secrétaire', 'secretary', 0);
INSERT INTO roles (name, seed_key, created_at) VALUES ('Membre du conseil d''administration', 'board_member', 0);
INSERT INTO roles (name, seed_key, created_at) VALUES ('Référent·e', 'referent', 0);

-- The register (« historique des mandats »): a term is never deleted when
-- its holder's account goes; holder_name keeps the name people knew.
-- decision_node_id is the minutes document that elected them (shown only
-- to who may read it); decision is free text (« AG du 14 juin 2025 »).
CREATE TABLE terms (
    id               INTEGER PRIMARY KEY,
    role_id          INTEGER NOT NULL REFERENCES roles (id),
    user_id          INTEGER REFERENCES users (id) ON DELETE SET NULL,
    holder_login     TEXT    NOT NULL,
    holder_name      TEXT    NOT NULL DEFAULT '',
    start_at         INTEGER NOT NULL,
    end_at           INTEGER,
    decision         TEXT    NOT NULL DEFAULT '',
    decision_node_id INTEGER,
    created_at       INTEGER NOT NULL,
    created_by       INTEGER REFERENCES users (id),
    reminded_at      INTEGER
);
CREATE INDEX terms_user ON terms (user_id);
CREATE INDEX terms_role ON terms (role_id);

-- Grants may name a role: the grants table is rebuilt with 'role' among
-- the principal kinds (a CHECK constraint cannot be altered in place).
CREATE TABLE grants_new (
    id             INTEGER PRIMARY KEY,
    node_id        INTEGER NOT NULL REFERENCES nodes (id),
    principal_kind TEXT    NOT NULL CHECK (principal_kind IN ('user', 'group', 'role', 'members', 'public')),
    principal_id   INTEGER NOT NULL DEFAULT 0,
    role           TEXT    NOT NULL CHECK (role IN ('viewer', 'editor', 'manager')),
    created_at     INTEGER NOT NULL,
    created_by     INTEGER REFERENCES users (id),
    UNIQUE (node_id, principal_kind, principal_id)
);
INSERT INTO grants_new (id, node_id, principal_kind, principal_id, role, created_at, created_by)
    SELECT id, node_id, principal_kind, principal_id, role, created_at, created_by FROM grants;
DROP TABLE grants;
ALTER TABLE grants_new RENAME TO grants;

-- +goose Down
DELETE FROM grants WHERE principal_kind = 'role';
CREATE TABLE grants_old (
    id             INTEGER PRIMARY KEY,
    node_id        INTEGER NOT NULL REFERENCES nodes (id),
    principal_kind TEXT    NOT NULL CHECK (principal_kind IN ('user', 'group', 'members', 'public')),
    principal_id   INTEGER NOT NULL DEFAULT 0,
    role           TEXT    NOT NULL CHECK (role IN ('viewer', 'editor', 'manager')),
    created_at     INTEGER NOT NULL,
    created_by     INTEGER REFERENCES users (id),
    UNIQUE (node_id, principal_kind, principal_id)
);
INSERT INTO grants_old (id, node_id, principal_kind, principal_id, role, created_at, created_by)
    SELECT id, node_id, principal_kind, principal_id, role, created_at, created_by FROM grants;
DROP TABLE grants;
ALTER TABLE grants_old RENAME TO grants;
DROP INDEX terms_role;
DROP INDEX terms_user;
DROP TABLE terms;
DROP INDEX roles_live_name;
DROP TABLE roles;
