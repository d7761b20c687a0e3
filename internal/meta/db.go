// Package meta is the SQL store of Notre Asso: the tree, versions, tags,
// users, grants and the journal. SQLite (pure Go, no cgo) by default; the SQL
// is kept portable so PostgreSQL can follow.
package meta

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"runtime"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite" // also registers the "sqlite" driver other packages open
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB holds one write connection and a pool of read connections. SQLite
// allows a single writer; funnelling writes through one connection turns
// lock contention into a queue instead of SQLITE_BUSY errors.
type DB struct {
	W    *sql.DB
	R    *sql.DB
	path string
}

// Option qualifies Open.
type Option func(*options)

type options struct{ syncCommits bool }

// SyncCommits flushes the write-ahead log to the disk at every commit
// (synchronous FULL), so a committed transaction survives a power cut.
// Without it (synchronous NORMAL) a commit survives the process dying,
// and a power cut can only lose the last commits, never consistency.
func SyncCommits() Option { return func(o *options) { o.syncCommits = true } }

// Open opens (creating if needed) the SQLite database at path and applies
// pending migrations.
func Open(ctx context.Context, path string, logger *slog.Logger, opts ...Option) (*DB, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	synchronous := "synchronous(NORMAL)"
	if o.syncCommits {
		synchronous = "synchronous(FULL)"
	}
	pragmas := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "foreign_keys(1)", "busy_timeout(10000)", synchronous} {
		pragmas.Add("_pragma", p)
	}
	wdsn := "file:" + path + "?" + pragmas.Encode() + "&_txlock=immediate"
	drv := &sqlite.Driver{}
	w := sql.OpenDB(cachingConnector{dsn: wdsn, drv: drv})
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	r := sql.OpenDB(cachingConnector{dsn: "file:" + path + "?" + pragmas.Encode(), drv: drv})
	r.SetMaxOpenConns(max(4, runtime.NumCPU()*2))
	db := &DB{W: w, R: r, path: path}
	if err := db.migrate(ctx, logger); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) migrate(ctx context.Context, logger *slog.Logger) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db.W, sub)
	if err != nil {
		return fmt.Errorf("prepare migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate database %s: %w", db.path, err)
	}
	for _, r := range res {
		logger.Info("database migrated", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
	}
	return nil
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.R.Close(), db.W.Close())
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.R.PingContext(ctx)
}

// Tx runs fn in a write transaction, committed if fn returns nil.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Time converts a stored Unix-nanosecond value.
func Time(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// NullTime converts a nullable stored time.
func NullTime(ns sql.NullInt64) time.Time {
	if !ns.Valid {
		return time.Time{}
	}
	return Time(ns.Int64)
}
