package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// JournalChannel is the PostgreSQL notification channel a committed
// journal entry signals (the journal's trigger, migrations/postgres/00096):
// the other servers' indexers and caches wake up at once instead of at
// their next poll.
const JournalChannel = "notreasso_journal"

// Listen calls fn each time another transaction commits a journal entry,
// until ctx ends; on SQLite (one server) it only waits for ctx. A lost
// connection is reopened, and fn called once after, since notifications
// sent meanwhile are lost.
func (db *DB) Listen(ctx context.Context, fn func()) error {
	if db.dialect != Postgres {
		<-ctx.Done()
		return nil
	}
	backoff := time.Second
	for ctx.Err() == nil {
		err := db.listenOnce(ctx, fn)
		if ctx.Err() != nil {
			return nil
		}
		fn()
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Minute)
		_ = err // the caller's job runner logs only returned errors; a reconnect is routine
	}
	return nil
}

func (db *DB) listenOnce(ctx context.Context, fn func()) error {
	conn, err := pgx.ConnectConfig(ctx, db.pgcfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+JournalChannel); err != nil {
		return err
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		fn()
	}
}

// Lease runs fn if no other server of the cluster is running the job
// name, and returns whether it ran. On PostgreSQL the lease is a session
// advisory lock held on one connection while fn runs: if the server dies,
// its connection closes and the lease is free for another server. On
// SQLite there is one server: fn always runs.
//
// With every > 0, fn is also skipped when some server finished it less
// than every ago (servers' schedules drift apart: the job runs once per
// period for the cluster, not once per server).
func (db *DB) Lease(ctx context.Context, name string, every time.Duration, now func() time.Time, fn func(ctx context.Context) error) (ran bool, err error) {
	if db.dialect != Postgres {
		return true, fn(ctx)
	}
	conn, err := db.W.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	defer conn.Close()
	key := leaseKey(name)
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(?)`, key).Scan(&got); err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	if !got {
		return false, nil
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(?)`, key)
	state := "lease:" + name
	if every > 0 {
		var last string
		err := conn.QueryRowContext(ctx, `SELECT value FROM worker_state WHERE name = ?`, state).Scan(&last)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return false, fmt.Errorf("lease %s: %w", name, err)
		}
		if ns, _ := strconv.ParseInt(last, 10, 64); ns != 0 && now().Sub(time.Unix(0, ns)) < every*9/10 {
			return false, nil
		}
	}
	if err := fn(ctx); err != nil {
		return true, err
	}
	_, err = conn.ExecContext(ctx, `INSERT INTO worker_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
		state, strconv.FormatInt(now().UnixNano(), 10))
	return true, err
}

// leaseKey maps a job name to an advisory lock key, away from WriteLockKey.
func leaseKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("notreasso lease " + name))
	return int64(h.Sum64() >> 1)
}
