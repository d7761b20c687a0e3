package meta

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

// An entry about no node and by no account stores NULLs (readers select
// node entries with node_id IS NOT NULL), and its details as JSON.
func TestAppendJournal(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "meta.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Unix(1700000000, 5)
	if err := AppendJournal(ctx, db.W, JournalEntry{At: at, Action: "gc", Details: map[string]any{"deleted": 2}}); err != nil {
		t.Fatal(err)
	}
	if err := AppendJournal(ctx, db.W, JournalEntry{At: at, Actor: 0, NodeID: 1, Action: "mkdir"}); err != nil {
		t.Fatal(err)
	}
	var actor, node sql.NullInt64
	var when int64
	var details string
	if err := db.R.QueryRowContext(ctx, `SELECT at, actor, node_id, details FROM journal WHERE action = 'gc'`).Scan(&when, &actor, &node, &details); err != nil {
		t.Fatal(err)
	}
	if when != at.UnixNano() || actor.Valid || node.Valid || details != `{"deleted":2}` {
		t.Errorf("gc entry: at %d actor %v node %v details %s", when, actor, node, details)
	}
	if err := db.R.QueryRowContext(ctx, `SELECT node_id, details FROM journal WHERE action = 'mkdir'`).Scan(&node, &details); err != nil || node.Int64 != 1 || details != "{}" {
		t.Errorf("mkdir entry: node %v details %s (%v)", node, details, err)
	}
}

// Dropping the grants to one principal leaves everyone else's.
func TestDropGrantsTo(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "meta.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, g := range []struct {
		kind string
		id   int64
	}{{"group", 7}, {"group", 7}, {"group", 8}, {"user", 7}} {
		if _, err := db.W.ExecContext(ctx, `INSERT INTO grants (node_id, principal_kind, principal_id, role, created_at)
			VALUES (1, ?, ?, 'viewer', 0) ON CONFLICT DO NOTHING`, g.kind, g.id); err != nil {
			t.Fatal(err)
		}
	}
	n, err := DropGrantsTo(ctx, db.W, "group", 7)
	if err != nil || n != 1 {
		t.Fatalf("dropped %d (%v), want 1", n, err)
	}
	var left int
	db.R.QueryRowContext(ctx, `SELECT count(*) FROM grants WHERE principal_kind IN ('group', 'user')`).Scan(&left)
	if left != 2 {
		t.Errorf("%d grants left, want 2 (group 8 and user 7)", left)
	}
}
