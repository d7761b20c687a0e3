package meta

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
)

// testSQLite opens a new SQLite database in a test's folder, closed when
// the test ends, and returns it with its file's path.
func testSQLite(t *testing.T, opts ...Option) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "meta.db")
	db, err := Open(context.Background(), path, slog.New(slog.DiscardHandler), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}
