package repo

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"notreasso/internal/acl"
)

// readableBatch is how many nodes readableSet loads per query.
const readableBatch = 400

// readableSet reports which of the nodes p may read now (live or in the
// trash), for lists that check many nodes at once (tags): the chains and
// their grants are loaded a few hundred nodes per query instead of two
// queries per node, and each node's role comes from roleIn, the rule
// roleOn applies.
func (s *core) readableSet(ctx context.Context, p acl.Principal, ids []int64) (map[int64]bool, error) {
	out := make(map[int64]bool, len(ids))
	for start := 0; start < len(ids); start += readableBatch {
		batch := ids[start:min(start+readableBatch, len(ids))]
		chains, err := s.chainsByID(ctx, s.db.R, batch)
		if err != nil {
			return nil, err
		}
		var grants []acl.Grant
		if !p.IsAdmin() && p.Share == nil {
			seen := map[int64]bool{}
			var all []int64
			for _, c := range chains {
				for _, id := range c.ids() {
					if !seen[id] {
						seen[id] = true
						all = append(all, id)
					}
				}
			}
			for i := 0; i < len(all); i += readableBatch {
				g, err := s.grantsOn(ctx, s.db.R, all[i:min(i+readableBatch, len(all))])
				if err != nil {
					return nil, err
				}
				grants = append(grants, g...)
			}
		}
		for id, c := range chains {
			ids := c.ids()
			var on []acl.Grant
			for _, g := range grants {
				if slices.Contains(ids, g.NodeID) {
					on = append(on, g)
				}
			}
			out[id] = roleIn(p, c, on) >= acl.Viewer
		}
	}
	return out, nil
}

func chainsByIDQuery(n int) string {
	return `WITH RECURSIVE anc(start, depth, ` + ancCols + `) AS (
			SELECT n.id, 0, ` + rowCols + rowFrom + ` WHERE n.id IN (` + placeholders(n) + `)
			UNION ALL SELECT anc.start, anc.depth + 1, ` + rowCols + ancUp + `
		) SELECT start, ` + ancCols + ` FROM anc ORDER BY start, depth DESC`
}

// chainsByID loads the chains of several nodes (see chainByID); nodes
// without a complete chain up to the root are left out.
func (s *core) chainsByID(ctx context.Context, q querier, ids []int64) (map[int64]chain, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := q.QueryContext(ctx, chainsByIDQuery(len(ids)), args...)
	if err != nil {
		return nil, fmt.Errorf("load nodes: %w", err)
	}
	defer rows.Close()
	out := map[int64]chain{}
	for rows.Next() {
		var start int64
		r, err := scanRow(prefixScanner{rows, &start})
		if err != nil {
			return nil, fmt.Errorf("load nodes: %w", err)
		}
		out[start] = append(out[start], r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load nodes: %w", err)
	}
	for id, c := range out {
		if c[0].id != RootID {
			delete(out, id)
		}
	}
	return out, nil
}

// prefixScanner scans a row whose first column precedes a row's columns.
type prefixScanner struct {
	rows  *sql.Rows
	first any
}

func (p prefixScanner) Scan(dest ...any) error {
	return p.rows.Scan(append([]any{p.first}, dest...)...)
}
