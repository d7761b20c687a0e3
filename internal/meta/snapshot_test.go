package meta_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"notreasso/internal/meta"
	"notreasso/internal/testutil/testdb"
)

// A snapshot of a PostgreSQL database is a SQLite file with every table's
// rows, binary values byte for byte, the schema at the same version, in
// one file (no write-ahead log beside it).
func TestSnapshotSQLiteFromPostgres(t *testing.T) {
	ctx := context.Background()
	pg, err := meta.Open(ctx, testdb.NewPostgres(t), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	key := []byte{0, 1, 2, 0xff, 0xfe, 'a'}
	for _, q := range []string{
		`INSERT INTO users (id, login, role, created_at) VALUES (7, 'marie', 'member', 0)`,
		`INSERT INTO nodes (id, parent_id, name, kind, mtime, created_at, updated_at) VALUES (2, 1, 'Bureau', 'dir', 0, 0, 0), (3, 2, 'AG', 'dir', 0, 0, 0)`,
	} {
		if _, err := pg.W.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := pg.W.ExecContext(ctx, `INSERT INTO server_keys (name, value) VALUES ('csrf', ?)`, key); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "snapshot.db")
	rep, err := pg.SnapshotSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Error("the snapshot left a write-ahead log beside it")
	}
	lite, err := meta.Open(ctx, path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if len(rep.Tables) < 20 {
		t.Errorf("%d tables copied", len(rep.Tables))
	}
	for _, tc := range rep.Tables {
		var a, b int64
		pg.R.QueryRowContext(ctx, `SELECT count(*) FROM `+tc.Name).Scan(&a)
		lite.R.QueryRowContext(ctx, `SELECT count(*) FROM `+tc.Name).Scan(&b)
		if a != b || a != tc.Rows {
			t.Errorf("%s: %d rows in PostgreSQL, %d in the snapshot, %d reported", tc.Name, a, b, tc.Rows)
		}
	}
	var got []byte
	if err := lite.R.QueryRowContext(ctx, `SELECT value FROM server_keys WHERE name = 'csrf'`).Scan(&got); err != nil || !bytes.Equal(got, key) {
		t.Errorf("binary value: %x %v, want %x", got, err, key)
	}
	var name string
	if err := lite.R.QueryRowContext(ctx, `SELECT name FROM nodes WHERE parent_id = 2`).Scan(&name); err != nil || name != "AG" {
		t.Errorf("tree: %q %v", name, err)
	}
	var v1, v2 int64
	pg.R.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&v1)
	lite.R.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&v2)
	if v1 != v2 {
		t.Errorf("schema %d in PostgreSQL, %d in the snapshot", v1, v2)
	}
	// A snapshot never overwrites a file.
	if _, err := pg.SnapshotSQLite(ctx, path); err == nil {
		t.Error("a second snapshot over the first")
	}
}
