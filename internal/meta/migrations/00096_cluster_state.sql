-- +goose Up
-- Failed-login counters (auth.Throttle) kept in the database, so that the
-- servers of a cluster sharing PostgreSQL count one attacker's attempts
-- together. A single SQLite server keeps them in memory and leaves these
-- tables empty. key is "ip|ADDR", "acct-ip|LOGIN|ADDR" or "acct|LOGIN";
-- ips the distinct failing addresses of an account (a JSON array).
CREATE TABLE login_strikes (
    key      TEXT PRIMARY KEY,
    fails    INTEGER NOT NULL,
    last_at  INTEGER NOT NULL,
    until_at INTEGER NOT NULL,
    ips      TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX login_strikes_last ON login_strikes (last_at);

-- Addresses an account logged in from ("LOGIN|ADDR"): they are spared the
-- per-account ceiling.
CREATE TABLE login_known (
    key TEXT PRIMARY KEY,
    at  INTEGER NOT NULL
);

-- +goose Down
DROP TABLE login_known;
DROP TABLE login_strikes;
