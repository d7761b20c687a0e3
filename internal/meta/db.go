// Package meta is the SQL store of Notre Asso: the tree, versions, tags,
// users, grants and the journal. SQLite (pure Go, no cgo) by default, or
// PostgreSQL (pgx) for several servers sharing one database. The SQL of the
// packages above is one text for both: what differs between the two
// dialects lives here (rebind.go, the migrations of each).
package meta

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite" // also registers the "sqlite" driver other packages open
)

// The SQLite migrations are migrations/*.sql; their PostgreSQL
// counterparts, with the same version numbers, migrations/postgres/*.sql.
//
//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Dialect is the SQL database behind a DB.
type Dialect int

const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// DB holds one write connection and a pool of read connections. SQLite
// allows a single writer; funnelling writes through one connection turns
// lock contention into a queue instead of SQLITE_BUSY errors.
// On PostgreSQL both are pools, and write transactions queue on an
// advisory lock instead (see WriteLockKey).
type DB struct {
	W       *sql.DB
	R       *sql.DB
	path    string
	dialect Dialect
	pgcfg   *pgx.ConnConfig // PostgreSQL: for the connection that listens
	stmts   atomic.Int64    // SQLite: statements run and transactions begun
	txs     atomic.Int64    // SQLite: transactions begun

	ckpt     *sql.DB       // SQLite: the checkpointer's connection (checkpoint.go)
	ckptStop chan struct{} // closed to end the checkpointer
	ckptDone chan struct{} // closed when it has ended
}

// Option qualifies Open.
type Option func(*options)

type options struct{ syncCommits bool }

// SyncCommits flushes the write-ahead log to the disk at every commit
// (synchronous FULL), so a committed transaction survives a power cut.
// Without it (synchronous NORMAL) a commit survives the process dying,
// and a power cut can only lose the last commits, never consistency.
func SyncCommits() Option { return func(o *options) { o.syncCommits = true } }

// Open opens the database and applies pending migrations: dsn is a
// postgres:// URL, or else the path of a SQLite file (created if needed).
// The options concern SQLite only (PostgreSQL's durability is its server's
// configuration).
func Open(ctx context.Context, dsn string, logger *slog.Logger, opts ...Option) (*DB, error) {
	if IsPostgres(dsn) {
		db, err := openPostgres(ctx, dsn)
		if err != nil {
			return nil, err
		}
		if err := db.migrate(ctx, logger); err != nil {
			db.Close()
			return nil, err
		}
		return db, nil
	}
	return openSQLite(ctx, dsn, logger, opts...)
}

func openSQLite(ctx context.Context, path string, logger *slog.Logger, opts ...Option) (*DB, error) {
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
	wpragmas := url.Values{"_pragma": append(pragmas["_pragma"], fmt.Sprintf("wal_autocheckpoint(%d)", writerCheckpointPages))}
	wdsn := "file:" + path + "?" + wpragmas.Encode() + "&_txlock=immediate"
	drv := &sqlite.Driver{}
	db := &DB{path: path}
	w := sql.OpenDB(cachingConnector{dsn: wdsn, drv: drv, count: &db.stmts, txs: &db.txs, writer: true})
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	r := sql.OpenDB(cachingConnector{dsn: "file:" + path + "?" + pragmas.Encode(), drv: drv, count: &db.stmts, txs: &db.txs})
	r.SetMaxOpenConns(max(4, runtime.NumCPU()*2))
	db.W, db.R = w, r
	if err := db.migrate(ctx, logger); err != nil {
		db.Close()
		return nil, err
	}
	rdsn := "file:" + path + "?" + pragmas.Encode()
	db.startCheckpoints(cachingConnector{dsn: rdsn, drv: drv, count: new(atomic.Int64), txs: new(atomic.Int64)})
	return db, nil
}

// Dialect says which database this is, for the few callers whose work
// differs in kind (a snapshot, a size on disk), not in SQL spelling.
func (db *DB) Dialect() Dialect { return db.dialect }

// Statements counts the SQL statements run and the transactions begun on
// a SQLite database since it was opened (reads and writes, migrations
// included); 0 on PostgreSQL. Tests read it to keep the statements of a
// request from creeping up.
func (db *DB) Statements() int64 { return db.stmts.Load() }

// Transactions counts the transactions begun on a SQLite database since
// it was opened; 0 on PostgreSQL.
func (db *DB) Transactions() int64 { return db.txs.Load() }

// PagesWritten counts the database pages the writer connection of a
// SQLite database has written to the write-ahead log since it was opened
// (each commit writes every page it changed, 4 KiB each); 0 on
// PostgreSQL. Tests read it to keep the pages of a small upload's commit
// from creeping up.
func (db *DB) PagesWritten(ctx context.Context) (int64, error) {
	if db.dialect != SQLite {
		return 0, nil
	}
	conn, err := db.W.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var n int
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*cachingConn)
		if !ok {
			return fmt.Errorf("meta: the writer connection is a %T", dc)
		}
		st, ok := c.Conn.(sqlite.DBStatus)
		if !ok {
			return errors.New("meta: the SQLite driver does not report its status")
		}
		n, _, err = st.Status(sqlite.DBStatusCacheWrite, false)
		return err
	})
	return int64(n), err
}

// Name is the database file, or the PostgreSQL URL without its password.
func (db *DB) Name() string { return db.path }

// Migrations are the dialect's ordered migration files.
func Migrations(d Dialect) fs.FS {
	dir := "migrations"
	if d == Postgres {
		dir = "migrations/postgres"
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		panic(err) // embedded: cannot fail
	}
	return noSubdirs{sub}
}

// noSubdirs hides migrations/postgres from the SQLite set.
type noSubdirs struct{ fs.FS }

func (f noSubdirs) ReadDir(name string) ([]fs.DirEntry, error) {
	all, err := fs.ReadDir(f.FS, name)
	var files []fs.DirEntry
	for _, e := range all {
		if !e.IsDir() {
			files = append(files, e)
		}
	}
	return files, err
}

// Provider is goose's migration runner for db's dialect.
func (db *DB) Provider(opts ...goose.ProviderOption) (*goose.Provider, error) {
	dialect := goose.DialectSQLite3
	if db.dialect == Postgres {
		dialect = goose.DialectPostgres
		// Two servers starting together: one migrates, the other waits.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(dialect, db.W, Migrations(db.dialect), opts...)
}

func (db *DB) migrate(ctx context.Context, logger *slog.Logger) error {
	p, err := db.Provider()
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
	return errors.Join(db.stopCheckpoints(), db.R.Close(), db.W.Close())
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.R.PingContext(ctx)
}

// Tx is what a write transaction's statements run on.
type Tx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tx runs fn in a write transaction, committed if fn returns nil. The
// transaction ends, rolled back, once ctx is done: its next statement,
// or its commit, fails with the context's error.
func (db *DB) Tx(ctx context.Context, fn func(tx Tx) error) error {
	if db.dialect == SQLite {
		return db.sqliteTx(ctx, fn)
	}
	tx, err := db.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, WriteLockKey); err != nil {
		tx.Rollback()
		return fmt.Errorf("take the write lock: %w", err)
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

// sqliteTx runs fn in a write transaction on SQLite's one writer
// connection, begun and ended by statements on it rather than through
// database/sql's Tx, which starts a goroutine to watch the context of the
// transaction and another for every query inside it: for the short
// transactions of small uploads, their scheduling cost more than some of
// the statements. The writer's statements check ctx before they run
// (cachingConn), so the transaction still ends between statements when
// ctx does.
func (db *DB) sqliteTx(ctx context.Context, fn func(tx Tx) error) error {
	conn, err := db.W.Conn(ctx) // fails at once if ctx is done
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer conn.Close()
	if err := control(conn, "BEGIN IMMEDIATE", true); err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		// Also after a panic in fn. A connection that cannot roll back
		// is closed rather than handed on inside a transaction.
		if control(conn, "ROLLBACK", false) != nil {
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	if err := fn(conn); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if err := control(conn, "COMMIT", false); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	committed = true
	return nil
}

// control runs a transaction's BEGIN, COMMIT or ROLLBACK on the writer
// connection; begin counts a transaction and its statement, as BeginTx did.
func control(conn *sql.Conn, stmt string, begin bool) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*cachingConn)
		if !ok {
			return fmt.Errorf("meta: the writer connection is a %T", dc)
		}
		if begin {
			c.count.Add(1)
			c.txs.Add(1)
		}
		return c.execKept(context.Background(), stmt)
	})
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
