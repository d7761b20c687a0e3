package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// CopyReport is what Copy moved: rows per table, in copy order.
type CopyReport struct {
	Tables []TableCount
}

// TableCount is one table's rows, read at the source and found at the
// destination after the copy.
type TableCount struct {
	Name string
	Rows int64
}

// ErrNotEmpty means the destination of a copy already holds data.
var ErrNotEmpty = errors.New("the destination database already holds data")

// skipCopy are tables whose rows belong to one running installation, not
// to its data: migration bookkeeping, and leases.
var skipCopy = []string{"goose_db_version", "maintenance_locks", "login_strikes", "login_known"}

// CopyTo copies every row of this SQLite database into dst, a migrated,
// empty PostgreSQL database (`notreasso db migrate`), keeping ids, then
// checks each table's row count at the destination. The source must not
// change meanwhile (the server stopped). Tables are copied parents first
// (by their foreign keys), rows of a tree parents first; each table in
// one transaction, so a failed copy can be started again after emptying
// the destination. progress, if not nil, is told each table's count. At
// the end the destination's tables are analyzed.
func (db *DB) CopyTo(ctx context.Context, dst *DB, progress func(table string, rows int64)) (CopyReport, error) {
	var rep CopyReport
	if db.dialect != SQLite || dst.dialect != Postgres {
		return rep, fmt.Errorf("copy: from SQLite to PostgreSQL only")
	}
	tables, err := db.copyOrder(ctx)
	if err != nil {
		return rep, err
	}
	for _, t := range []string{"users", "versions", "journal"} {
		var n int64
		if err := dst.R.QueryRowContext(ctx, `SELECT count(*) FROM `+t).Scan(&n); err != nil {
			return rep, fmt.Errorf("copy: look at the destination: %w", err)
		}
		if n > 0 {
			return rep, fmt.Errorf("copy: %w (%d rows in %s)", ErrNotEmpty, n, t)
		}
	}
	// What the first migration seeds (the root folder, its grant) comes
	// from the source instead.
	err = dst.Tx(ctx, func(tx Tx) error {
		for _, t := range slices.Backward(tables) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t.name); err != nil {
				return fmt.Errorf("empty %s: %w", t.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("copy: %w", err)
	}
	for _, t := range tables {
		n, err := db.copyTable(ctx, dst, t)
		if err != nil {
			return rep, fmt.Errorf("copy %s: %w", t.name, err)
		}
		var got int64
		if err := dst.R.QueryRowContext(ctx, `SELECT count(*) FROM `+t.name).Scan(&got); err != nil {
			return rep, fmt.Errorf("count %s: %w", t.name, err)
		}
		if got != n {
			return rep, fmt.Errorf("copy %s: %d rows read, %d at the destination", t.name, n, got)
		}
		rep.Tables = append(rep.Tables, TableCount{t.name, n})
		if progress != nil {
			progress(t.name, n)
		}
	}
	if err := dst.SyncIDs(ctx); err != nil {
		return rep, err
	}
	// The planner's figures for the copied tables, at once: until
	// autovacuum gets to them (a minute or more), PostgreSQL takes every
	// table for a few pages and answers lookups with whole-table scans.
	if _, err := dst.W.ExecContext(ctx, `ANALYZE`); err != nil {
		return rep, fmt.Errorf("copy: analyze the copied tables: %w", err)
	}
	return rep, nil
}

type copyTable struct {
	name     string
	cols     []string
	parents  []string // tables its foreign keys point to
	selfFrom string   // a column referring to this table's own selfTo (a tree)
	selfTo   string
}

// copyOrder lists the source's tables, each after the tables it refers to.
func (db *DB) copyOrder(ctx context.Context) ([]copyTable, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		if !slices.Contains(skipCopy, n) {
			names = append(names, n)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	byName := map[string]*copyTable{}
	for _, n := range names {
		t := &copyTable{name: n}
		if err := scanStrings(ctx, db.R, &t.cols, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, n); err != nil {
			return nil, fmt.Errorf("columns of %s: %w", n, err)
		}
		fks, err := db.R.QueryContext(ctx, `SELECT "table", "from", COALESCE("to", '') FROM pragma_foreign_key_list(?)`, n)
		if err != nil {
			return nil, fmt.Errorf("foreign keys of %s: %w", n, err)
		}
		for fks.Next() {
			var to, from, col string
			if err := fks.Scan(&to, &from, &col); err != nil {
				fks.Close()
				return nil, err
			}
			if to == n {
				t.selfFrom, t.selfTo = from, col
			} else if !slices.Contains(t.parents, to) {
				t.parents = append(t.parents, to)
			}
		}
		fks.Close()
		byName[n] = t
	}
	var out []copyTable
	done := map[string]bool{}
	for len(out) < len(names) {
		progressed := false
		for _, n := range names {
			t := byName[n]
			if done[n] || slices.ContainsFunc(t.parents, func(p string) bool { return byName[p] != nil && !done[p] }) {
				continue
			}
			done[n], progressed = true, true
			out = append(out, *t)
		}
		if !progressed {
			return nil, fmt.Errorf("copy: the tables' foreign keys form a cycle")
		}
	}
	return out, nil
}

// copyBatch is how many rows go in one INSERT.
const copyBatch = 200

func (db *DB) copyTable(ctx context.Context, dst *DB, t copyTable) (int64, error) {
	return copyRows(ctx, db.R, dst, t)
}

// copyRows copies table t from src into dst in one transaction of dst,
// converting text and binary values to what dst's column holds.
func copyRows(ctx context.Context, src querier, dst *DB, t copyTable) (int64, error) {
	bytea := map[string]bool{}
	var byteaCols []string
	q := `SELECT column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = ? AND data_type = 'bytea'`
	if dst.dialect == SQLite {
		q = `SELECT name FROM pragma_table_info(?) WHERE upper(type) = 'BLOB'`
	}
	if err := scanStrings(ctx, dst.R, &byteaCols, q, t.name); err != nil {
		return 0, err
	}
	for _, c := range byteaCols {
		bytea[c] = true
	}
	cols := `"` + strings.Join(t.cols, `", "`) + `"`
	q = `SELECT ` + cols + ` FROM ` + t.name
	if t.selfFrom != "" {
		// A tree: parents before children, whatever their ids.
		q = fmt.Sprintf(`WITH RECURSIVE depth(k, d) AS (
				SELECT %[2]s, 0 FROM %[1]s WHERE %[3]s IS NULL
				UNION ALL SELECT c.%[2]s, depth.d + 1 FROM %[1]s c JOIN depth ON c.%[3]s = depth.k
			) SELECT %[4]s FROM %[1]s JOIN depth ON depth.k = %[1]s.%[2]s ORDER BY depth.d, %[1]s.%[2]s`,
			t.name, t.selfTo, t.selfFrom, qualified(t.name, t.cols))
	}
	rows, err := src.QueryContext(ctx, q)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	err = dst.Tx(ctx, func(tx Tx) error {
		var args []any
		flush := func() error {
			if len(args) == 0 {
				return nil
			}
			rowsIn := len(args) / len(t.cols)
			one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", ") + ")"
			vals := strings.TrimSuffix(strings.Repeat(one+", ", rowsIn), ", ")
			if _, err := tx.ExecContext(ctx, `INSERT INTO `+t.name+` (`+cols+`) VALUES `+vals, args...); err != nil {
				return err
			}
			args = args[:0]
			return nil
		}
		vals := make([]any, len(t.cols))
		ptrs := make([]any, len(t.cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			for i, v := range vals {
				switch x := v.(type) {
				case string:
					if bytea[t.cols[i]] {
						v = []byte(x)
					}
				case []byte:
					if !bytea[t.cols[i]] {
						v = string(x)
					} else {
						v = slices.Clone(x)
					}
				}
				args = append(args, v)
			}
			n++
			if len(args) >= copyBatch*len(t.cols) {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return flush()
	})
	return n, err
}

func qualified(table string, cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = table + `."` + c + `"`
	}
	return strings.Join(out, ", ")
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func scanStrings(ctx context.Context, db querier, out *[]string, q string, args ...any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		*out = append(*out, s)
	}
	return rows.Err()
}
