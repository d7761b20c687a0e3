package repo

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
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
	list, err := json.Marshal(names)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", p, err)
	}
	// The name is looked up by a scalar subquery so that SQLite searches
	// the (parent_id, name) index instead of scanning a folder's children.
	rows, err := s.query(ctx, q, `WITH RECURSIVE walk(i, id) AS (
			SELECT -1, CAST(?2 AS BIGINT)
			UNION ALL SELECT walk.i + 1, n.id FROM walk JOIN nodes n ON n.parent_id = walk.id
				AND n.name = (SELECT value FROM json_each(?1) WHERE key = walk.i + 1) AND n.deleted_at IS NULL
		) SELECT `+rowCols+rowFrom+` JOIN walk ON walk.id = n.id ORDER BY walk.i`, string(list), RootID)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", p, err)
	}
	defer rows.Close()
	var c chain
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", p, err)
		}
		c = append(c, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("resolve %s: %w", p, err)
	}
	if len(c) == 0 {
		return nil, fmt.Errorf("read root: %w", sql.ErrNoRows)
	}
	return c, nil
}
