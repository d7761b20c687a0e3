-- +goose Up
-- A welcome collection greets the people who joined after it became one
-- (welcome_since), until they finish it or dismiss it.
ALTER TABLE collections ADD COLUMN welcome_since BIGINT NOT NULL DEFAULT 0;
UPDATE collections SET welcome_since = created_at WHERE welcome = 1;

CREATE TABLE collection_dismissed (
    collection_id BIGINT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    dismissed_at  BIGINT NOT NULL,
    PRIMARY KEY (collection_id, user_id)
);

-- +goose Down
DROP TABLE collection_dismissed;
ALTER TABLE collections DROP COLUMN welcome_since;
