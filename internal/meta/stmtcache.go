package meta

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync/atomic"

	"modernc.org/sqlite"
)

// SQLite parses a statement every time it is prepared, and for the short
// queries every request runs (path walks, grants, the inserts of an
// upload) parsing costs more than running. database/sql prepares afresh
// for every Exec and Query, so each connection keeps its statements,
// prepared once, keyed by their text.

// maxConnStmts bounds one connection's statements; queries built with a
// variable number of placeholders make a few variants each.
const maxConnStmts = 256

// cachingConnector opens SQLite connections that keep their statements.
type cachingConnector struct {
	dsn   string
	drv   *sqlite.Driver
	count *atomic.Int64 // statements run and transactions begun, for tests
	txs   *atomic.Int64 // transactions begun, for tests
	// writer: the connection runs write transactions, whose statements
	// are short and not interrupted (see uninterrupted).
	writer bool
}

func (c cachingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &cachingConn{Conn: conn, stmts: map[string]*cachedStmt{}, count: c.count, txs: c.txs, writer: c.writer}, nil
}

func (c cachingConnector) Driver() driver.Driver { return c.drv }

// connFull is what the SQLite driver's connections offer beyond driver.Conn.
type connFull interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConn runs Exec and Query through prepared statements it keeps.
// database/sql uses a connection from one goroutine at a time, so the
// map needs no lock.
type cachingConn struct {
	driver.Conn
	stmts  map[string]*cachedStmt
	count  *atomic.Int64
	txs    *atomic.Int64
	writer bool
}

// uninterrupted is the context the writer connection's statements run
// under: without the caller's cancellation. For a statement whose context
// can end, the SQLite driver starts a goroutine that watches it and sets a
// progress handler, and removes both afterwards, which cost more than the
// short statements of a write transaction themselves (an upload runs ten).
// A write transaction is short by design (the one writer waits for no one
// but SQLite's lock); the caller's context still ends it between
// statements: a statement whose context is done is not run, and DB.Tx
// then rolls the transaction back. Readers keep their cancellation: a
// search can be long.
func (c *cachingConn) uninterrupted(ctx context.Context) (context.Context, error) {
	if c.writer {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return context.WithoutCancel(ctx), nil
	}
	return ctx, nil
}

type cachedStmt struct {
	st   driver.Stmt
	busy bool // rows of this statement are open: a nested use prepares its own
}

func (c *cachingConn) full() (connFull, error) {
	f, ok := c.Conn.(connFull)
	if !ok {
		return nil, errors.New("meta: the SQLite driver's connection lacks a context method")
	}
	return f, nil
}

// stmt returns the statement for query, prepared now if needed; nil if it
// is busy (the caller runs the query uncached).
func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if cs, ok := c.stmts[query]; ok {
		if cs.busy {
			return nil, nil
		}
		return cs, nil
	}
	if len(c.stmts) >= maxConnStmts {
		return nil, nil
	}
	f, err := c.full()
	if err != nil {
		return nil, err
	}
	st, err := f.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	cs := &cachedStmt{st: st}
	c.stmts[query] = cs
	return cs, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.count.Add(1)
	ctx, err := c.uninterrupted(ctx)
	if err != nil {
		return nil, err
	}
	f, err := c.full()
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		// Scripts (migrations) and PRAGMAs: rare, and a script is not
		// one statement. (A transaction's BEGIN and COMMIT use execKept.)
		return f.ExecContext(ctx, query, args)
	}
	cs, err := c.stmt(ctx, query)
	if err != nil || cs == nil {
		return f.ExecContext(ctx, query, args)
	}
	return cs.st.(driver.StmtExecContext).ExecContext(ctx, args)
}

// execKept runs one statement without arguments (a transaction's BEGIN,
// COMMIT or ROLLBACK) through a kept statement: parsing them cost as much
// as running them.
func (c *cachingConn) execKept(ctx context.Context, query string) error {
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return err
	}
	if cs == nil {
		f, err := c.full()
		if err != nil {
			return err
		}
		_, err = f.ExecContext(ctx, query, nil)
		return err
	}
	_, err = cs.st.(driver.StmtExecContext).ExecContext(ctx, nil)
	return err
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.count.Add(1)
	ctx, err := c.uninterrupted(ctx)
	if err != nil {
		return nil, err
	}
	f, err := c.full()
	if err != nil {
		return nil, err
	}
	cs, err := c.stmt(ctx, query)
	if err != nil || cs == nil {
		return f.QueryContext(ctx, query, args)
	}
	rows, err := cs.st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: rows, cs: cs}, nil
}

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	f, err := c.full()
	if err != nil {
		return nil, err
	}
	st, err := f.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return countedStmt{Stmt: st, count: c.count, query: query}, nil
}

// countedStmt counts the runs of a statement prepared by the caller.
type countedStmt struct {
	driver.Stmt
	count *atomic.Int64
	query string
}

func (s countedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.count.Add(1)
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s countedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.count.Add(1)
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.count.Add(1)
	c.txs.Add(1)
	f, err := c.full()
	if err != nil {
		return nil, err
	}
	if ctx, err = c.uninterrupted(ctx); err != nil {
		return nil, err
	}
	return f.BeginTx(ctx, opts)
}

func (c *cachingConn) Ping(ctx context.Context) error {
	f, err := c.full()
	if err != nil {
		return err
	}
	return f.Ping(ctx)
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	f, err := c.full()
	if err != nil {
		return err
	}
	return f.ResetSession(ctx)
}

func (c *cachingConn) IsValid() bool {
	f, err := c.full()
	return err == nil && f.IsValid()
}

func (c *cachingConn) Close() error {
	var errs []error
	for _, cs := range c.stmts {
		errs = append(errs, cs.st.Close())
	}
	c.stmts = nil
	return errors.Join(append(errs, c.Conn.Close())...)
}

// cachedRows gives the statement back when the rows are closed.
type cachedRows struct {
	driver.Rows
	cs *cachedStmt
}

func (r *cachedRows) Close() error {
	r.cs.busy = false
	return r.Rows.Close()
}

// The SQLite rows' optional column-type methods, for Scan.
func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}
