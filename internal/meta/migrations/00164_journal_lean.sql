-- +goose Up
-- Every change writes one journal row. Its AUTOINCREMENT rewrote the page
-- of sqlite_sequence, and its node_id index, which no query reads (the
-- journal is read by seq, by action, or whole), another page: two of the
-- dozen or so pages a small upload's commit writes. Without AUTOINCREMENT,
-- SQLite gives a new row the largest seq plus one; no journal row is ever
-- deleted, so seq still only grows, as the journal's followers need.
CREATE TABLE journal_lean (
    seq     INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   INTEGER REFERENCES users (id),
    node_id INTEGER,
    action  TEXT    NOT NULL,
    details TEXT    NOT NULL DEFAULT '{}'
);
INSERT INTO journal_lean (seq, at, actor, node_id, action, details)
    SELECT seq, at, actor, node_id, action, details FROM journal;
DROP TABLE journal;
ALTER TABLE journal_lean RENAME TO journal;
CREATE INDEX journal_action ON journal (action, seq);

-- +goose Down
CREATE TABLE journal_auto (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    actor   INTEGER REFERENCES users (id),
    node_id INTEGER,
    action  TEXT    NOT NULL,
    details TEXT    NOT NULL DEFAULT '{}'
);
INSERT INTO journal_auto (seq, at, actor, node_id, action, details)
    SELECT seq, at, actor, node_id, action, details FROM journal;
DROP TABLE journal;
ALTER TABLE journal_auto RENAME TO journal;
CREATE INDEX journal_node ON journal (node_id);
CREATE INDEX journal_action ON journal (action, seq);
