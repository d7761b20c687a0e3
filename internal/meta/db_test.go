package meta

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
)

func TestOpenMigratesAndReopens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	for i := 0; i < 2; i++ { // the second open must find nothing to migrate
		db, err := Open(ctx, path, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("open #%d: %v", i, err)
		}
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT count(*) FROM nodes WHERE id = 1 AND kind = 'dir'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("root folder: n=%d err=%v", n, err)
		}
		var mode string
		db.R.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode)
		if mode != "wal" {
			t.Errorf("journal_mode = %q, want wal", mode)
		}
		var fk int
		db.W.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk)
		if fk != 1 {
			t.Errorf("foreign_keys = %d, want 1", fk)
		}
		db.Close()
	}
}

func TestLiveNameUnique(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "meta.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ins := `INSERT INTO nodes (parent_id, name, kind, mtime, created_at, updated_at, deleted_at) VALUES (1, 'a', 'dir', 0, 0, 0, ?)`
	if _, err := db.W.ExecContext(ctx, ins, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.W.ExecContext(ctx, ins, nil); err == nil {
		t.Fatal("two live siblings named a were accepted")
	}
	if _, err := db.W.ExecContext(ctx, ins, 5); err != nil {
		t.Fatalf("a trashed sibling with the same name was refused: %v", err)
	}
}
