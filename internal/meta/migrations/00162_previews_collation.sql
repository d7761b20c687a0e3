-- +goose Up
-- Nothing to change on SQLite, whose text comparisons are all binary. On
-- PostgreSQL (postgres/00162) the rendering tables' content hashes get the
-- "C" collation every other hash column has: compared with one of them
-- (a file's current content), a column of another collation cannot use
-- its index.
SELECT 1;

-- +goose Down
SELECT 1;
