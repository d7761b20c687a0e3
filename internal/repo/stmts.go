package repo

import (
	"context"
	"database/sql"
	"sync"
)

// Prepared statements for the queries every request runs (path walks,
// ancestors, grants, tags). SQLite parses a statement each time it is
// prepared, and for these short queries parsing costs more than running:
// caching them cuts the CPU of an upload by about a third.
type stmtCache struct {
	mu       sync.Mutex
	m        map[stmtKey]*sql.Stmt
	inflight map[stmtKey]bool
}

type stmtKey struct {
	db    *sql.DB
	query string
}

// maxCachedStmts bounds the cache; queries built with a variable number of
// placeholders make a few variants each.
const maxCachedStmts = 256

// query runs a read query through a cached prepared statement: on the read
// pool, or inside a PostgreSQL write transaction (which always runs on
// s.db.W). A SQLite write transaction runs on the writer connection itself
// (a *sql.Conn), whose statements its connection keeps prepared.
func (s *core) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	switch q := q.(type) {
	case *sql.DB:
		if st := s.prepared(q, query, true); st != nil {
			return st.QueryContext(ctx, args...)
		}
	case *sql.Tx:
		// The write pool's one connection is this transaction's: a
		// statement missing from the cache is prepared once it is free.
		if st := s.prepared(s.db.W, query, false); st != nil {
			return q.StmtContext(ctx, st).QueryContext(ctx, args...)
		}
	}
	return q.QueryContext(ctx, query, args...)
}

// prepared returns the cached statement. If it is missing, it is prepared
// now (wait) or in the background, and nil is returned meanwhile; nil too
// if it cannot be cached, and the caller then runs the query directly.
func (s *core) prepared(db *sql.DB, query string, wait bool) *sql.Stmt {
	k := stmtKey{db, query}
	c := &s.stmts
	c.mu.Lock()
	st, ok := c.m[k]
	if ok || len(c.m) >= maxCachedStmts || c.inflight[k] {
		c.mu.Unlock()
		return st
	}
	if c.inflight == nil {
		c.m, c.inflight = map[stmtKey]*sql.Stmt{}, map[stmtKey]bool{}
	}
	c.inflight[k] = true
	c.mu.Unlock()
	prepare := func() *sql.Stmt {
		st, err := db.PrepareContext(context.Background(), query)
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.inflight, k)
		if err != nil {
			return nil
		}
		c.m[k] = st
		return st
	}
	if wait {
		return prepare()
	}
	go prepare()
	return nil
}
