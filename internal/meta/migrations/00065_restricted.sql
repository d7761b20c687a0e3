-- +goose Up
-- « Accès restreint »: a folder (or file) whose parent's grants stop at it.
-- Below it only the grants on it and under it apply (admins still see it).
-- See docs/permissions.md, "A private folder".
ALTER TABLE nodes ADD COLUMN restricted INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE nodes DROP COLUMN restricted;
