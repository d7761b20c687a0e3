-- +goose Up
-- How a person likes folders shown: '' (the list) or 'grid' (thumbnails).
ALTER TABLE users ADD COLUMN folder_view TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN folder_view;
