package meta

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
)

// The kept statements answer like fresh ones: reused with new arguments,
// and the same query run again while its first rows are still open (a
// nested use gets its own statement).
func TestKeptStatements(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "meta.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.W.ExecContext(ctx, `CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := db.W.ExecContext(ctx, `INSERT INTO t (k, v) VALUES (?, ?)`, i, string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	const q = `SELECT v FROM t WHERE k >= ? ORDER BY k`
	outer, err := db.R.QueryContext(ctx, q, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var v string
		outer.Scan(&v)
		// The same statement while the outer rows are open.
		var inner []string
		rows, err := db.R.QueryContext(ctx, q, 1)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var w string
			rows.Scan(&w)
			inner = append(inner, w)
		}
		rows.Close()
		got = append(got, v+":"+join(inner))
	}
	outer.Close()
	if want := []string{"d:bcde", "e:bcde"}; join(got) != join(want) {
		t.Errorf("nested: %v, want %v", got, want)
	}
	tx, err := db.W.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	outer, err = tx.QueryContext(ctx, q, 4)
	if err != nil {
		t.Fatal(err)
	}
	for outer.Next() {
		var v string
		outer.Scan(&v)
		var w string
		if err := tx.QueryRowContext(ctx, q, 0).Scan(&w); err != nil || w != "a" {
			t.Errorf("nested in a transaction: %q %v", w, err)
		}
	}
	outer.Close()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func join(s []string) string {
	out := ""
	for _, x := range s {
		out += x
	}
	return out
}

// SyncCommits turns the write connection's synchronous setting to FULL.
func TestSyncCommits(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		opts []Option
		want int
	}{{nil, 1}, {[]Option{SyncCommits()}, 2}} {
		db, err := Open(ctx, filepath.Join(t.TempDir(), "meta.db"), slog.New(slog.DiscardHandler), tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		db.W.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&n)
		db.Close()
		if n != tc.want {
			t.Errorf("synchronous = %d, want %d", n, tc.want)
		}
	}
}
