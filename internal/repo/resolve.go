package repo

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"notreasso/internal/meta"
)

// resolve walks a path from the root through live nodes. It returns
// ErrNotFound (wrapped) if a segment is missing or the path goes through a
// file. The error names the whole path asked for, never the part that
// exists: a caller who may not read it must not learn where it stops. The walk is one recursive query whatever the depth:
// uploads resolve paths several times, and each query costs a parse.
func (s *core) resolve(ctx context.Context, q querier, p string) (chain, error) {
	names, err := SplitPath(p)
	if err != nil {
		return nil, err
	}
	c, err := s.walk(ctx, q, p, names)
	if err != nil {
		return nil, err
	}
	if found := len(c) - 1; found < len(names) {
		return nil, fmt.Errorf("%s: %w", JoinPath(names), ErrNotFound)
	}
	return c, nil
}

// resolveChild resolves the folder at parentPath and its live child name
// in one walk: pc is the folder's chain, c the child's (nil if the folder
// has no such child). An upload learns both in one query.
func (s *core) resolveChild(ctx context.Context, q querier, parentPath, name string) (pc, c chain, err error) {
	names, err := SplitPath(parentPath)
	if err != nil {
		return nil, nil, err
	}
	names = append(names, name)
	w, err := s.walk(ctx, q, parentPath, names)
	if err != nil {
		return nil, nil, err
	}
	switch found := len(w) - 1; {
	case found == len(names):
		return w[: len(w)-1 : len(w)-1], w, nil
	case found == len(names)-1:
		return w, nil, nil
	}
	return nil, nil, fmt.Errorf("%s: %w", JoinPath(names[:len(names)-1]), ErrNotFound)
}

// walk follows names from the root as far as live nodes go: the root
// first, then one row per name found. p names the path in errors.
func (s *core) walk(ctx context.Context, q querier, p string, names []string) (chain, error) {
	if len(names) <= maxFlatWalk {
		return s.flatWalk(ctx, q, p, names)
	}
	list, err := json.Marshal(names)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", p, err)
	}
	// Each level carries the name to look up under it (next, and folded
	// its meta.Lower), so that the lookup is one search of the live names'
	// index by folder, folded name and name, never a scan of a folder's
	// children.
	lowers, err := json.Marshal(foldedNames(names))
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", p, err)
	}
	rows, err := s.query(ctx, q, walkDeepSQL, string(list), RootID, string(lowers))
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", p, err)
	}
	rs, err := readRows(rows)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", p, err)
	}
	c := chain(rs)
	if len(c) == 0 {
		return nil, fmt.Errorf("read root: %w", sql.ErrNoRows)
	}
	return c, nil
}

// walkDeepSQL is walk's statement for paths deeper than maxFlatWalk: ?1
// the names as a JSON array, ?2 the root's id, ?3 the names' meta.Lower.
// The folded names come from Go, not from lower(walk.next): PostgreSQL
// folds a recursive query's column under the database's collation, not
// the names' COLLATE "C", and misses « Étage » (TestChainReadsNodesByKey).
var walkDeepSQL = `WITH RECURSIVE walk(i, id, next, folded) AS (
		SELECT -1, CAST(?2 AS BIGINT), (SELECT value FROM json_each(?1) WHERE key = 0), (SELECT value FROM json_each(?3) WHERE key = 0)
		UNION ALL SELECT walk.i + 1, n.id, (SELECT value FROM json_each(?1) WHERE key = walk.i + 2), (SELECT value FROM json_each(?3) WHERE key = walk.i + 2)
			FROM walk JOIN nodes n ON n.parent_id = walk.id
			AND lower(n.name) = walk.folded AND n.name = walk.next AND n.deleted_at IS NULL
	) SELECT ` + rowCols + rowFrom + ` JOIN walk ON walk.id = n.id ORDER BY walk.i`

// foldedNames is meta.Lower of each name.
func foldedNames(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = meta.Lower(n)
	}
	return out
}

// maxFlatWalk is the deepest path flatWalk follows; deeper ones take the
// recursive query.
const maxFlatWalk = 8

// flatWalkSQL[d] is flatWalk's statement for a path of d names.
var flatWalkSQL = func() (q [maxFlatWalk + 1]string) {
	for d := range q {
		q[d] = flatWalkQuery(d)
	}
	return q
}()

// flatWalkQuery is one point lookup per level, level k found under the id
// of level k-1, itself a scalar subquery of index lookups: ?1…?d are the
// names, ?(d+1) the root's id, ?(d+2)…?(2d+1) the names' meta.Lower. Each
// row starts with its level. Unlike the recursive query, it needs no
// temporary table (SQLite makes three for that one: the walk's queue, its
// result and the ordering), which cost more than the lookups themselves;
// the lookups of a level's parent are repeated per level, a few
// microseconds at the depths paths have.
func flatWalkQuery(d int) string {
	root := fmt.Sprintf("CAST(?%d AS BIGINT)", d+1)
	var b strings.Builder
	fmt.Fprintf(&b, "SELECT 0, %s%s WHERE n.id = %s", rowCols, rowFrom, root)
	parent := root
	for k := 1; k <= d; k++ {
		fmt.Fprintf(&b, "\nUNION ALL SELECT %d, %s%s WHERE n.parent_id = %s AND lower(n.name) = ?%d AND n.name = ?%d AND n.deleted_at IS NULL", k, rowCols, rowFrom, parent, d+1+k, k)
		parent = fmt.Sprintf("(SELECT id FROM nodes WHERE parent_id = %s AND lower(name) = ?%d AND name = ?%d AND deleted_at IS NULL)", parent, d+1+k, k)
	}
	return b.String()
}

// flatWalk is walk for paths of up to maxFlatWalk names.
func (s *core) flatWalk(ctx context.Context, q querier, p string, names []string) (chain, error) {
	args := make([]any, 0, 2*len(names)+1)
	for _, n := range names {
		args = append(args, n)
	}
	args = append(args, RootID)
	for _, n := range names {
		args = append(args, meta.Lower(n))
	}
	rows, err := s.query(ctx, q, flatWalkSQL[len(names)], args...)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", p, err)
	}
	defer rows.Close()
	found := make([]*row, len(names)+1)
	for rows.Next() {
		var level int
		r, err := scanRow(leveled{rows, &level})
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", p, err)
		}
		if level < 0 || level > len(names) || found[level] != nil {
			return nil, fmt.Errorf("resolve %s: level %d read twice or out of range", p, level)
		}
		found[level] = &r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("resolve %s: %w", p, err)
	}
	if found[0] == nil {
		return nil, fmt.Errorf("read root: %w", sql.ErrNoRows)
	}
	c := make(chain, 0, len(found))
	for _, r := range found {
		if r == nil {
			break
		}
		c = append(c, *r)
	}
	return c, nil
}

// leveled scans a row's leading level column, then the rest.
type leveled struct {
	rows  *sql.Rows
	level *int
}

func (l leveled) Scan(dest ...any) error {
	return l.rows.Scan(append([]any{l.level}, dest...)...)
}
