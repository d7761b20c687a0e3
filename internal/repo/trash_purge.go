package repo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// TrashPurge is what deleting one trash item for good removed.
type TrashPurge struct {
	ID       int64
	Path     string // where it was
	Nodes    int    // the item and everything below it
	Files    int
	Versions int
	Bytes    int64 // sum of the removed versions' sizes
}

// PurgeTrashItem deletes a trashed node and its subtree for good. It needs
// the manager role where the item was (or an administrator): unlike moving
// to the trash, this cannot be undone. The content stays in the blob store
// until the garbage collector finds it unused.
func (s *History) PurgeTrashItem(ctx context.Context, p acl.Principal, id int64) (TrashPurge, error) {
	var tp TrashPurge
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		c, err := s.chainByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if !c.last().deleted.Valid {
			return fmt.Errorf("%s is not in the trash: %w", c.path(), ErrNotFound)
		}
		role, err := s.roleOn(ctx, tx, p, c)
		if err != nil {
			return err
		}
		if !isSystem(p) {
			switch {
			case role < acl.Editor:
				return fmt.Errorf("trash item %d: %w", id, ErrNotFound)
			case role < acl.Manager:
				return fmt.Errorf("deleting %s for good needs manager rights: %w", c.path(), ErrForbidden)
			}
		}
		tp, err = s.purgeSubtree(ctx, tx, p, c, "purge_trash")
		return err
	})
	if err != nil {
		return TrashPurge{}, fmt.Errorf("purge trash item %d: %w", id, err)
	}
	s.notify()
	return tp, nil
}

// EmptyTrash deletes for good every trash item moved there before
// olderThan (everything if olderThan is zero). Administrators and System
// only; the server calls it on its schedule with the configured expiry.
func (s *History) EmptyTrash(ctx context.Context, p acl.Principal, olderThan time.Time) ([]TrashPurge, error) {
	if err := needAdmin(p, "emptying the trash"); err != nil {
		return nil, err
	}
	q := `SELECT id FROM nodes WHERE deleted_at IS NOT NULL`
	var args []any
	if !olderThan.IsZero() {
		q += ` AND deleted_at < ?`
		args = append(args, olderThan.UnixNano())
	}
	ids, err := queryIDs(ctx, s.db.R, q+` ORDER BY deleted_at`, args...)
	if err != nil {
		return nil, fmt.Errorf("list trash: %w", err)
	}
	var out []TrashPurge
	for _, id := range ids {
		tp, err := s.PurgeTrashItem(ctx, p, id)
		switch {
		case errors.Is(err, ErrNotFound):
			continue // gone with a folder purged before it, or restored meanwhile
		case err != nil:
			return out, err
		}
		out = append(out, tp)
	}
	return out, nil
}

// purgeSubtree deletes the node at the end of c and everything below it,
// with their versions, tags, grants and rules, and journals it.
func (s *core) purgeSubtree(ctx context.Context, tx meta.Tx, p acl.Principal, c chain, action string) (TrashPurge, error) {
	top := c.last()
	tp := TrashPurge{ID: top.id, Path: c.path()}
	rows, err := tx.QueryContext(ctx, `WITH RECURSIVE sub(id, depth) AS (
			SELECT CAST(? AS BIGINT), 0 UNION ALL SELECT n.id, sub.depth + 1 FROM nodes n JOIN sub ON n.parent_id = sub.id
		) SELECT sub.id, n.kind = 'file' FROM sub JOIN nodes n ON n.id = sub.id ORDER BY sub.depth DESC`, top.id)
	if err != nil {
		return tp, fmt.Errorf("list %s: %w", tp.Path, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		var file bool
		if err := rows.Scan(&id, &file); err != nil {
			rows.Close()
			return tp, err
		}
		ids = append(ids, id)
		if file {
			tp.Files++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return tp, err
	}
	tp.Nodes = len(ids)
	// Deepest first, in batches: a folder goes after its children.
	for batch := range slices.Chunk(ids, 500) {
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		in := `(` + placeholders(len(batch)) + `)`
		var n int
		var b int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*), COALESCE(sum(size), 0) FROM versions WHERE node_id IN `+in, args...).Scan(&n, &b); err != nil {
			return tp, err
		}
		tp.Versions += n
		tp.Bytes += b
		// Last referenced now: see purgeFile.
		if _, err := tx.ExecContext(ctx, `UPDATE blobs SET last_used_at = ? WHERE sha256 IN (SELECT blob FROM versions WHERE node_id IN `+in+`)`,
			append([]any{s.now().UnixNano()}, args...)...); err != nil {
			return tp, fmt.Errorf("purge %s: %w", tp.Path, err)
		}
		for _, table := range []string{"node_tags", "grants", "retention_rules", "dav_props", "dav_locks", "share_links", "collection_items", "versions"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE node_id IN `+in, args...); err != nil {
				return tp, fmt.Errorf("purge %s: %s: %w", tp.Path, table, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM nodes WHERE id IN `+in, args...); err != nil {
			return tp, fmt.Errorf("purge %s: %w", tp.Path, err)
		}
	}
	return tp, s.journal(ctx, tx, p, top.id, action, map[string]any{"path": tp.Path, "ids": ids, "files": tp.Files,
		"versions": tp.Versions, "bytes": tp.Bytes, "by": byWhom(p)})
}
