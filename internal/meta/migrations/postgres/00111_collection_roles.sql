-- +goose Up
-- A collection may be meant for a role of the association (« pour le
-- bureau »): whoever holds it now.
ALTER TABLE collection_audience DROP CONSTRAINT collection_audience_principal_kind_check;
ALTER TABLE collection_audience ADD CONSTRAINT collection_audience_principal_kind_check
    CHECK (principal_kind IN ('group', 'role', 'members'));

-- +goose Down
DELETE FROM collection_audience WHERE principal_kind = 'role';
ALTER TABLE collection_audience DROP CONSTRAINT collection_audience_principal_kind_check;
ALTER TABLE collection_audience ADD CONSTRAINT collection_audience_principal_kind_check
    CHECK (principal_kind IN ('group', 'members'));
