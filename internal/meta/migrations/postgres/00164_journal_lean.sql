-- +goose Up
-- PostgreSQL counterpart of ../00164_journal_lean.sql (see CONTRIBUTING.md).
-- The node_id index, which no query reads, is dropped; the sequence of seq
-- stays (PostgreSQL's is not a page rewritten by every insert).
DROP INDEX journal_node;

-- +goose Down
CREATE INDEX journal_node ON journal (node_id);
