-- +goose Up
-- The bytes a backup run deleted from its target after thinning: contents
-- no kept snapshot refers to any more (internal/backup/sweep.go), shown on
-- the « Sauvegardes » page.
ALTER TABLE backup_runs ADD COLUMN reclaimed INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE backup_runs DROP COLUMN reclaimed;
