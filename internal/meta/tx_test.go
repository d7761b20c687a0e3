package meta

import (
	"context"
	"errors"
	"testing"
)

// TestTxEndings: a write transaction commits what fn wrote only when fn
// returns nil and its context is not done; an error, a panic or a context
// ended between two statements rolls everything back, and the writer
// connection serves the next transaction.
func TestTxEndings(t *testing.T) {
	ctx := context.Background()
	db, _ := testSQLite(t)
	if _, err := db.W.ExecContext(ctx, `CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	insert := func(tx Tx, x int) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO t (x) VALUES (?)`, x)
		return err
	}
	count := func() int {
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	failed := errors.New("refused")
	if err := db.Tx(ctx, func(tx Tx) error { insert(tx, 1); return failed }); !errors.Is(err, failed) {
		t.Fatalf("fn's error: got %v", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the panic was swallowed")
			}
		}()
		db.Tx(ctx, func(tx Tx) error { insert(tx, 2); panic("boom") })
	}()
	cctx, cancel := context.WithCancel(ctx)
	err := db.Tx(cctx, func(tx Tx) error {
		if err := insert(tx, 3); err != nil {
			return err
		}
		cancel()
		return insert(tx, 4)
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a context ended between statements: got %v", err)
	}
	cctx, cancel = context.WithCancel(ctx)
	err = db.Tx(cctx, func(tx Tx) error { err := insert(tx, 5); cancel(); return err })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a context ended before the commit: got %v", err)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d rows kept from transactions that did not commit", n)
	}

	before := db.Transactions()
	if err := db.Tx(ctx, func(tx Tx) error { return insert(tx, 6) }); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Fatalf("%d rows after one committed transaction, want 1", n)
	}
	if n := db.Transactions() - before; n != 1 {
		t.Errorf("%d transactions counted, want 1", n)
	}
}
