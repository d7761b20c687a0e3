package repo

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// resolve walks a path from the root through live nodes. It returns
// ErrNotFound (wrapped) if a segment is missing and ErrNotDir if the path
// goes through a file. The walk is one recursive query whatever the depth:
// uploads resolve paths several times, and each query costs a parse.
func (s *Service) resolve(ctx context.Context, q querier, p string) (chain, error) {
	names, err := SplitPath(p)
	if err != nil {
		return nil, err
	}
	list, err := json.Marshal(names)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", p, err)
	}
	rows, err := s.query(ctx, q, `WITH RECURSIVE seg(i, name) AS (SELECT key, value FROM json_each(?)),
		walk(i, id) AS (
			SELECT -1, ?
			UNION ALL SELECT seg.i, n.id FROM walk JOIN seg ON seg.i = walk.i + 1
				JOIN nodes n ON n.parent_id = walk.id AND n.name = seg.name AND n.deleted_at IS NULL
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
	if found := len(c) - 1; found < len(names) {
		if !c.last().dir {
			return nil, fmt.Errorf("%s: %w", c.path(), ErrNotDir)
		}
		return nil, fmt.Errorf("%s: %w", JoinPath(names[:found+1]), ErrNotFound)
	}
	return c, nil
}
