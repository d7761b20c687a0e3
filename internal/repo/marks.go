package repo

import (
	"context"
	"fmt"
	"notreasso/internal/acl"
	"strings"
	"time"
)

// touch marks the folder at the end of c as changed: its last change, and
// the change counter of it and every ancestor, so that their ETags move (a
// sync client learns from the root alone that something changed below).
// One statement; the ancestors are c's, read in the same transaction,
// rather than found again by a recursive query, which costs SQLite
// temporary tables.
func (s *core) touch(ctx context.Context, tx querier, p acl.Principal, c chain) error {
	in, ids := chainIDs(5, c)
	args := append([]any{c.last().id, s.now().UnixNano(), actorArg(p), viaArg(p)}, ids...)
	if _, err := tx.ExecContext(ctx, `UPDATE nodes SET tree_seq = tree_seq + 1,
			updated_at = CASE WHEN id = ?1 THEN ?2 ELSE updated_at END,
			updated_by = CASE WHEN id = ?1 THEN ?3 ELSE updated_by END,
			updated_via = CASE WHEN id = ?1 THEN ?4 ELSE updated_via END
		WHERE id IN (`+in+`)`, args...); err != nil {
		return fmt.Errorf("mark folder %s and its ancestors changed: %w", c.path(), err)
	}
	return nil
}

// touchVersion makes version vid the file's current one (its modification
// time mtime, changed at now) and touches its folder, whose chain is pc, as
// touch does, in one statement: the file rides on the folder's marks and
// its own change counter stays (a file's ETag is its content's).
func (s *core) touchVersion(ctx context.Context, tx querier, p acl.Principal, pc chain, file, vid int64, mtime, now time.Time) error {
	in, ids := chainIDs(8, pc)
	args := append([]any{pc.last().id, now.UnixNano(), actorArg(p), viaArg(p), file, vid, mtime.UnixNano()}, ids...)
	if _, err := tx.ExecContext(ctx, `UPDATE nodes SET
			tree_seq = CASE WHEN id = ?5 THEN tree_seq ELSE tree_seq + 1 END,
			current_version_id = CASE WHEN id = ?5 THEN ?6 ELSE current_version_id END,
			mtime = CASE WHEN id = ?5 THEN ?7 ELSE mtime END,
			updated_at = CASE WHEN id = ?1 OR id = ?5 THEN ?2 ELSE updated_at END,
			updated_by = CASE WHEN id = ?1 OR id = ?5 THEN ?3 ELSE updated_by END,
			updated_via = CASE WHEN id = ?1 OR id = ?5 THEN ?4 ELSE updated_via END
		WHERE id = ?5 OR id IN (`+in+`)`, args...); err != nil {
		return fmt.Errorf("record version %d of node %d and mark its folders changed: %w", vid, file, err)
	}
	return nil
}

// chainIDs names the ids of c as numbered placeholders from ?first on,
// with their arguments.
func chainIDs(first int, c chain) (string, []any) {
	var b strings.Builder
	ids := make([]any, len(c))
	for i, r := range c {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "?%d", first+i)
		ids[i] = r.id
	}
	return b.String(), ids
}
