-- +goose Up
-- « Accès restreint »: a folder whose parent's grants stop at it. Below it
-- only the grants on it and under it apply (admins still see it). See
-- docs/permissions.md, "A private folder".
ALTER TABLE nodes ADD COLUMN restricted BIGINT NOT NULL DEFAULT 0;
-- Every search walks up from the restricted folders (few): find them
-- without reading the whole tree.
CREATE INDEX nodes_restricted ON nodes (id) WHERE restricted <> 0;

-- Who sent a file through a drop-box link: such an upload has no account
-- (updated_by/author are NULL), so the name the visitor typed is kept here,
-- as "link:NAME" (NAME may be empty); '' for every other change.
ALTER TABLE nodes ADD COLUMN updated_via TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE versions ADD COLUMN author_via TEXT COLLATE "C" NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE versions DROP COLUMN author_via;
ALTER TABLE nodes DROP COLUMN updated_via;
DROP INDEX nodes_restricted;
ALTER TABLE nodes DROP COLUMN restricted;
