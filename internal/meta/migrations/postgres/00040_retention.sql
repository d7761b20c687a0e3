-- +goose Up
-- Retention rules per folder (or file): the nearest rule on a node or its
-- ancestors applies; without one, the configured default. Age limits are
-- nanoseconds; 9223372036854775807 means forever.
CREATE TABLE retention_rules (
    node_id      BIGINT PRIMARY KEY REFERENCES nodes (id),
    keep_all     BIGINT NOT NULL DEFAULT 0,
    max_versions BIGINT NOT NULL DEFAULT 0,
    every_for    BIGINT NOT NULL,
    hourly_for   BIGINT NOT NULL,
    daily_for    BIGINT NOT NULL,
    weekly_for   BIGINT NOT NULL,
    note         TEXT COLLATE "C" NOT NULL DEFAULT '',
    updated_at   BIGINT NOT NULL,
    updated_by   BIGINT REFERENCES users (id)
);

-- Blob garbage collection (see docs/retention.md, "How unused content is
-- removed"): an upload refreshes last_used_at before it relies on a blob;
-- the collector only takes blobs unused for its grace period, marks them
-- 'deleting' in a transaction, deletes the object, then the row.
ALTER TABLE blobs ADD COLUMN last_used_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE blobs ADD COLUMN state TEXT COLLATE "C" NOT NULL DEFAULT 'live' CHECK (state IN ('live', 'deleting'));
ALTER TABLE blobs ADD COLUMN deleting_since BIGINT;
UPDATE blobs SET last_used_at = created_at;
CREATE INDEX blobs_collectable ON blobs (last_used_at) WHERE state = 'live';

-- One blob-maintenance job at a time across processes (the server's
-- schedule, `notreasso gc`, `notreasso backup`): a lease renewed while the
-- job runs, taken over once expired.
CREATE TABLE maintenance_locks (
    name        TEXT COLLATE "C" PRIMARY KEY,
    holder      TEXT COLLATE "C" NOT NULL,
    acquired_at BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);

-- +goose Down
DROP TABLE maintenance_locks;
DROP INDEX blobs_collectable;
ALTER TABLE blobs DROP COLUMN deleting_since;
ALTER TABLE blobs DROP COLUMN state;
ALTER TABLE blobs DROP COLUMN last_used_at;
DROP TABLE retention_rules;
