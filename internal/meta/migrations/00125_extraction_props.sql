-- +goose Up
-- A document's own title and date (PDF /Info, office metadata, e-mail
-- headers), read at extraction: the index ranks the title like the file
-- name and files the document under its own year. doc_date is unix
-- seconds, 0 when the document gives none. props is 1 once an extraction
-- has looked for them: records made before are extracted again once.
ALTER TABLE extractions ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE extractions ADD COLUMN doc_date INTEGER NOT NULL DEFAULT 0;
ALTER TABLE extractions ADD COLUMN props INTEGER NOT NULL DEFAULT 0 CHECK (props IN (0, 1));

-- +goose Down
ALTER TABLE extractions DROP COLUMN props;
ALTER TABLE extractions DROP COLUMN doc_date;
ALTER TABLE extractions DROP COLUMN title;
