package repo

import (
	"context"
	"fmt"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// CopyOptions qualifies CopyTree.
type CopyOptions struct {
	Overwrite bool // trash what is at the destination first
	Shallow   bool // a folder without its content (WebDAV COPY with Depth: 0)
}

// CopyTree copies src to dst with options (Copy is the common case): dead
// properties are copied with the nodes, and a shallow copy of a folder
// (WebDAV Depth: 0) creates it empty. Only metadata is written, in one
// transaction.
func (s *DAV) CopyTree(ctx context.Context, p acl.Principal, src, dst string, o CopyOptions) (Node, error) {
	dstParent, dstName, err := parentAndName(dst)
	if err != nil {
		return Node{}, err
	}
	var id int64
	err = s.db.Tx(ctx, func(tx meta.Tx) error {
		sc, err := s.resolve(ctx, tx, src)
		if err != nil {
			return err
		}
		if _, err := s.need(ctx, tx, p, sc, acl.Viewer); err != nil {
			return err
		}
		dc, err := s.prepareTarget(ctx, tx, p, dstParent, dstName, o.Overwrite, 0)
		if err != nil {
			return err
		}
		if err := s.admitName(ctx, tx, p, dc.last().id, dstName, sc.last().name, 0); err != nil {
			return err
		}
		for _, r := range dc {
			if r.id == sc.last().id {
				return fmt.Errorf("%w: cannot copy %s into itself", ErrConflict, sc.path())
			}
		}
		if o.Shallow && sc.last().dir {
			now := s.now().UnixNano()
			if err := tx.QueryRowContext(ctx, `INSERT INTO nodes (parent_id, name, kind, mtime, created_at, created_by, updated_at, updated_by)
				VALUES (?, ?, 'dir', ?, ?, ?, ?, ?) RETURNING id`, dc.last().id, dstName, sc.last().mtime, now, actorArg(p), now, actorArg(p)).Scan(&id); err != nil {
				return fmt.Errorf("copy %s: %w", sc.path(), err)
			}
		} else if id, err = s.copyNode(ctx, tx, p, sc.last(), dc.last().id, dstName); err != nil {
			return err
		}
		// Pair each source node with its copy by name, level by level, and
		// copy their properties in one statement.
		if _, err := tx.ExecContext(ctx, `WITH RECURSIVE pairs(src, dst) AS (
				SELECT CAST(? AS BIGINT), CAST(? AS BIGINT)
				UNION ALL
				SELECT s.id, d.id FROM pairs
				JOIN nodes s ON s.parent_id = pairs.src AND s.deleted_at IS NULL
				JOIN nodes d ON d.parent_id = pairs.dst AND lower(d.name) = lower(s.name) AND d.name = s.name AND d.deleted_at IS NULL
			) INSERT INTO dav_props (node_id, space, local, lang, xml)
			SELECT pairs.dst, dp.space, dp.local, dp.lang, dp.xml FROM pairs JOIN dav_props dp ON dp.node_id = pairs.src`,
			sc.last().id, id); err != nil {
			return fmt.Errorf("copy properties of %s: %w", sc.path(), err)
		}
		if err := s.touch(ctx, tx, p, dc); err != nil {
			return err
		}
		to := JoinPath(append(namesOf(dc), dstName))
		// The copy's nodes got consecutive ids from id on: record how many,
		// so the journal accounts for every node (notreasso check).
		var nodes int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM nodes WHERE id >= ?`, id).Scan(&nodes); err != nil {
			return err
		}
		return s.journal(ctx, tx, p, id, "copy", map[string]any{"from": sc.path(), "path": to, "nodes": nodes, "shallow": o.Shallow})
	})
	if err != nil {
		return Node{}, fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	s.notify()
	return s.svc.Tree.StatID(ctx, p, id)
}
