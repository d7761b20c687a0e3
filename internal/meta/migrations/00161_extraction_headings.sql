-- +goose Up
-- Titles now also come from a document's first heading (Word and
-- OpenDocument text, HTML, Markdown): the extractions of those formats made
-- before are marked to be read again once, in the background, by the
-- indexer (indexer/extraction.go, hasProps). PDFs, spreadsheets, slides and
-- e-mails keep theirs: what is read from them did not change.
UPDATE extractions SET props = 0
WHERE status = 'ok' AND blob IN (
    SELECT v.blob FROM versions v JOIN nodes n ON n.id = v.node_id
    WHERE v.mime IN ('application/vnd.openxmlformats-officedocument.wordprocessingml.document',
                     'application/vnd.oasis.opendocument.text', 'text/html', 'text/markdown')
       OR lower(n.name) LIKE '%.docx' OR lower(n.name) LIKE '%.odt' OR lower(n.name) LIKE '%.html'
       OR lower(n.name) LIKE '%.htm' OR lower(n.name) LIKE '%.md' OR lower(n.name) LIKE '%.markdown'
);

-- +goose Down
SELECT 1;
