package meta_test

import (
	"context"
	"path/filepath"
	"testing"

	"notreasso/internal/meta"
	"notreasso/internal/testutil/testdb"
)

// A copy into PostgreSQL (`notreasso db migrate`) leaves the copied tables
// analyzed: the server started right after it gets the planner's figures,
// not whole-table scans until autovacuum comes by.
func TestCopyAnalyzes(t *testing.T) {
	ctx := context.Background()
	src, err := meta.Open(ctx, filepath.Join(t.TempDir(), "meta.db"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.W.ExecContext(ctx, `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 500)
		INSERT INTO nodes (parent_id, name, kind, mtime, created_at, updated_at) SELECT 1, 'd' || i, 'dir', 0, 0, 0 FROM seq`); err != nil {
		t.Fatal(err)
	}
	dst, err := meta.Open(ctx, testdb.NewPostgres(t), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := src.CopyTo(ctx, dst, nil); err != nil {
		t.Fatal(err)
	}
	var cols int
	if err := dst.R.QueryRowContext(ctx, `SELECT count(*) FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'nodes'`).Scan(&cols); err != nil {
		t.Fatal(err)
	}
	if cols == 0 {
		t.Error("nodes has no statistics after the copy: not analyzed")
	}
}
