package meta_test

import (
	"context"
	"io/fs"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"notreasso/internal/meta"
	"notreasso/internal/testutil/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var quiet = slog.New(slog.DiscardHandler)

// Both dialects have the same migration versions, and after them the same
// tables, columns and named indexes.
func TestMigrationsSameOnBothDialects(t *testing.T) {
	versions := func(d meta.Dialect) []string {
		var v []string
		files, err := fs.Glob(meta.Migrations(d), "*.sql")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			v = append(v, strings.SplitN(f, "_", 2)[0])
		}
		return v
	}
	lite, pg := versions(meta.SQLite), versions(meta.Postgres)
	if len(lite) == 0 || !slices.Equal(lite, pg) {
		t.Fatalf("migration versions differ:\n sqlite   %v\n postgres %v\nevery migrations/NNNNN_*.sql needs its migrations/postgres/NNNNN_*.sql (CONTRIBUTING.md)", lite, pg)
	}

	ctx := context.Background()
	sdb, err := meta.Open(ctx, filepath.Join(t.TempDir(), "meta.db"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	pdb, err := meta.Open(ctx, testdb.NewPostgres(t), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer pdb.Close()
	schema := func(db *meta.DB, q string) []string {
		rows, err := db.R.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var a, b string
			if err := rows.Scan(&a, &b); err != nil {
				t.Fatal(err)
			}
			out = append(out, a+"."+b)
		}
		slices.Sort(out)
		return out
	}
	compare := func(what string, l, p []string) {
		t.Helper()
		for _, x := range l {
			if !slices.Contains(p, x) {
				t.Errorf("%s %s: in SQLite, not in PostgreSQL", what, x)
			}
		}
		for _, x := range p {
			if !slices.Contains(l, x) {
				t.Errorf("%s %s: in PostgreSQL, not in SQLite", what, x)
			}
		}
	}
	compare("column",
		schema(sdb, `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\_%' ESCAPE '\' AND m.name <> 'goose_db_version'`),
		schema(pdb, `SELECT table_name, column_name FROM information_schema.columns
			WHERE table_schema = 'public' AND table_name <> 'goose_db_version'`))
	compare("index",
		schema(sdb, `SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`),
		schema(pdb, `SELECT tablename, indexname FROM pg_indexes i WHERE schemaname = 'public'
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`))
}

// The PostgreSQL migrations roll back to the first and apply again.
func TestPostgresMigrationsDownAndUp(t *testing.T) {
	ctx := context.Background()
	db, err := meta.Open(ctx, testdb.NewPostgres(t), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
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
}

// The same statements, placeholders, LIKE and json_each included, answer
// the same on both databases; booleans are stored as integers.
func TestPortableSQL(t *testing.T) {
	ctx := context.Background()
	for _, dsn := range []string{filepath.Join(t.TempDir(), "meta.db"), testdb.NewPostgres(t)} {
		db, err := meta.Open(ctx, dsn, quiet)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		t.Run(db.Dialect().String(), func(t *testing.T) {
			var id int64
			err := db.Tx(ctx, func(tx meta.Tx) error {
				return tx.QueryRowContext(ctx, `INSERT INTO nodes (parent_id, name, kind, mtime, created_at, updated_at, restricted)
					VALUES (?, ?, 'dir', 0, 0, 0, ?) RETURNING id`, 1, "École", true).Scan(&id)
			})
			if err != nil || id < 2 {
				t.Fatalf("insert: id %d, %v", id, err)
			}
			var name string
			var restricted bool
			err = db.R.QueryRowContext(ctx, `SELECT name, restricted <> 0 FROM nodes WHERE parent_id = ?2 AND name LIKE ?1 ESCAPE '\'`, "_COLE", 1).Scan(&name, &restricted)
			if err != nil || name != "École" || !restricted {
				t.Errorf("LIKE ignoring ASCII case: %q %v %v", name, restricted, err)
			}
			var n int
			err = db.R.QueryRowContext(ctx, `SELECT count(*) FROM nodes WHERE lower(name) IN (SELECT value FROM json_each(?))`, `["école","École"]`).Scan(&n)
			if err != nil || n != 1 {
				t.Errorf("lower() and json_each: %d %v", n, err)
			}
			// meta.Lower is lower() of a name column: a lookup compares
			// lower(name) with it, never with lower(?) (which folds every
			// letter on PostgreSQL).
			for _, s := range []string{"ÉTÉ à Noël", "Élodie@Example.ORG", "Straße", "İstanbul"} {
				var id int64
				err := db.Tx(ctx, func(tx meta.Tx) error {
					return tx.QueryRowContext(ctx, `INSERT INTO nodes (parent_id, name, kind, mtime, created_at, updated_at)
						VALUES (1, ?, 'dir', 0, 0, 0) RETURNING id`, s).Scan(&id)
				})
				if err != nil {
					t.Fatal(err)
				}
				var lower string
				if err := db.R.QueryRowContext(ctx, `SELECT lower(name) FROM nodes WHERE id = ?`, id).Scan(&lower); err != nil || lower != meta.Lower(s) {
					t.Errorf("lower(%q) = %q (%v), meta.Lower gives %q", s, lower, err, meta.Lower(s))
				}
			}
			var key int64
			err = db.R.QueryRowContext(ctx, `SELECT key FROM json_each(?) WHERE value = ?`, `["a","b"]`, "b").Scan(&key)
			if err != nil || key != 1 {
				t.Errorf("json_each key: %d %v", key, err)
			}
			if _, err := db.W.ExecContext(ctx, `INSERT INTO tags (name) VALUES (?) ON CONFLICT DO NOTHING`, "x"); err != nil {
				t.Error(err)
			}
			if _, err := db.W.ExecContext(ctx, `INSERT INTO tags (name) VALUES (?) ON CONFLICT DO NOTHING`, "x"); err != nil {
				t.Errorf("ON CONFLICT DO NOTHING: %v", err)
			}
		})
	}
}
