package meta

import (
	"context"
	"testing"
)

// Every migration can be rolled back to the first one and applied again,
// with data in the tables it changes.
func TestMigrationsDownAndUp(t *testing.T) {
	ctx := context.Background()
	db, _ := testSQLite(t)
	if _, err := db.W.ExecContext(ctx, `INSERT INTO blobs (sha256, size, created_at) VALUES ('abcdef0123456789', 3, 42)`); err != nil {
		t.Fatal(err)
	}
	var seq int64
	if err := db.W.QueryRowContext(ctx, `INSERT INTO journal (at, node_id, action) VALUES (7, 1, 'mkdir') RETURNING seq`).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	p, err := db.Provider()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 1); err != nil {
		t.Fatalf("down: %v", err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	var used int64
	var state string
	if err := db.R.QueryRowContext(ctx, `SELECT last_used_at, state FROM blobs WHERE sha256 = 'abcdef0123456789'`).Scan(&used, &state); err != nil || used != 42 || state != "live" {
		t.Errorf("existing blob after migration: last_used_at=%d state=%q err=%v; want 42 live", used, state, err)
	}
	var at, next int64
	if err := db.R.QueryRowContext(ctx, `SELECT at FROM journal WHERE seq = ?`, seq).Scan(&at); err != nil || at != 7 {
		t.Errorf("journal entry %d after migration: at=%d err=%v; want 7", seq, at, err)
	}
	if err := db.W.QueryRowContext(ctx, `INSERT INTO journal (at, action) VALUES (8, 'mkdir') RETURNING seq`).Scan(&next); err != nil || next <= seq {
		t.Errorf("a new journal entry after migration: seq=%d err=%v; want more than %d", next, err, seq)
	}
}
