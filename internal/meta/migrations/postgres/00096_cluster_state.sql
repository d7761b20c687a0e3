-- +goose Up
-- Failed-login counters (auth.Throttle) kept in the database, so that the
-- servers of a cluster sharing PostgreSQL count one attacker's attempts
-- together. A single SQLite server keeps them in memory and leaves these
-- tables empty. key is "ip|ADDR", "acct-ip|LOGIN|ADDR" or "acct|LOGIN";
-- ips the distinct failing addresses of an account (a JSON array).
CREATE TABLE login_strikes (
    key      TEXT COLLATE "C" PRIMARY KEY,
    fails    BIGINT NOT NULL,
    last_at  BIGINT NOT NULL,
    until_at BIGINT NOT NULL,
    ips      TEXT COLLATE "C" NOT NULL DEFAULT '[]'
);
CREATE INDEX login_strikes_last ON login_strikes (last_at);

-- Addresses an account logged in from ("LOGIN|ADDR"): they are spared the
-- per-account ceiling.
CREATE TABLE login_known (
    key TEXT COLLATE "C" PRIMARY KEY,
    at  BIGINT NOT NULL
);

-- PostgreSQL only: a committed journal entry notifies the other servers
-- (meta.DB.Listen), whose indexers follow the journal at once.
-- +goose StatementBegin
CREATE FUNCTION journal_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('notreasso_journal', '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER journal_notify AFTER INSERT ON journal
    FOR EACH STATEMENT EXECUTE FUNCTION journal_notify();

-- +goose Down
DROP TRIGGER journal_notify ON journal;
DROP FUNCTION journal_notify();
DROP TABLE login_known;
DROP TABLE login_strikes;
