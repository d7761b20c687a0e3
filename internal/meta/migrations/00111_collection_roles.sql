-- +goose Up
-- A collection may be meant for a role of the association (« pour le
-- bureau »): whoever holds it now. The audience table is rebuilt with
-- 'role' among the principal kinds (a CHECK cannot be altered in place).
CREATE TABLE collection_audience_new (
    collection_id  INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    principal_kind TEXT    NOT NULL CHECK (principal_kind IN ('group', 'role', 'members')),
    principal_id   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (collection_id, principal_kind, principal_id)
);
INSERT INTO collection_audience_new (collection_id, principal_kind, principal_id)
    SELECT collection_id, principal_kind, principal_id FROM collection_audience;
DROP TABLE collection_audience;
ALTER TABLE collection_audience_new RENAME TO collection_audience;

-- +goose Down
DELETE FROM collection_audience WHERE principal_kind = 'role';
CREATE TABLE collection_audience_old (
    collection_id  INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    principal_kind TEXT    NOT NULL CHECK (principal_kind IN ('group', 'members')),
    principal_id   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (collection_id, principal_kind, principal_id)
);
INSERT INTO collection_audience_old (collection_id, principal_kind, principal_id)
    SELECT collection_id, principal_kind, principal_id FROM collection_audience;
DROP TABLE collection_audience;
ALTER TABLE collection_audience_old RENAME TO collection_audience;
