package repo

import (
	"context"
	"errors"
	"fmt"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// TrashItem is a node in the trash, with where it was.
type TrashItem struct {
	Node
	OriginalPath string
	DeletedBy    string
}

// Trash lists the trashed nodes the caller could edit where they were.
func (s *History) Trash(ctx context.Context, p acl.Principal) ([]TrashItem, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+rowCols+`, COALESCE(d.login, '')`+rowFrom+
		`LEFT JOIN users d ON d.id = n.deleted_by WHERE n.deleted_at IS NOT NULL ORDER BY n.deleted_at DESC`)
	if err != nil {
		return nil, fmt.Errorf("list trash: %w", err)
	}
	type item struct {
		r  row
		by string
	}
	var items []item
	for rows.Next() {
		var it item
		if err := rows.Scan(&it.r.id, &it.r.parent, &it.r.name, &it.r.dir, &it.r.mtime, &it.r.created, &it.r.upd, &it.r.updBy,
			&it.r.deleted, &it.r.verID, &it.r.verNum, &it.r.hash, &it.r.mime, &it.r.size, &it.r.restricted, &it.r.via, &it.r.treeSeq, &it.by); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list trash: %w", err)
		}
		items = append(items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []TrashItem
	for _, it := range items {
		c, err := s.chainByID(ctx, s.db.R, it.r.id)
		if err != nil {
			continue // an orphan: reported by check, not shown
		}
		role, err := s.roleOn(ctx, s.db.R, p, c)
		if err != nil {
			return nil, err
		}
		if role < acl.Editor {
			continue
		}
		out = append(out, TrashItem{Node: it.r.node(c.path(), role), OriginalPath: c.path(), DeletedBy: it.by})
	}
	return out, nil
}

// Restore brings a trashed node back. With to empty it returns to its
// original place; if that name is taken by then, the caller must choose
// another path (ErrExists says so).
func (s *History) Restore(ctx context.Context, p acl.Principal, id int64, to string) (Node, error) {
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		// Errors name the id only: guessing ids reveals no names.
		c, err := s.chainByID(ctx, tx, id)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("trash item %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if role, err := s.roleOn(ctx, tx, p, c); err != nil {
			return err
		} else if role < acl.Editor || !c.last().deleted.Valid {
			return fmt.Errorf("trash item %d: %w", id, ErrNotFound)
		}
		parentID, name := c[len(c)-2].id, c.last().name
		if to != "" {
			parentPath, n, err := parentAndName(to)
			if err != nil {
				return err
			}
			pc, err := s.resolve(ctx, tx, parentPath)
			if err != nil {
				return err
			}
			if _, err := s.need(ctx, tx, p, pc, acl.Editor); err != nil {
				return err
			}
			if !pc.last().dir {
				return fmt.Errorf("%s: %w", pc.path(), ErrNotDir)
			}
			parentID, name = pc.last().id, n
		} else if !c[:len(c)-1].live() {
			return fmt.Errorf("%w: the folder %s is itself in the trash; restore it first or choose another place", ErrConflict, c[:len(c)-1].path())
		}
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM nodes WHERE parent_id = ? AND lower(name) = ? AND name = ? AND deleted_at IS NULL`, parentID, meta.Lower(name), name).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return fmt.Errorf("%w: %q is taken in the destination folder; choose another place", ErrExists, name)
		}
		if err := s.admitName(ctx, tx, p, parentID, name, c.last().name, id); err != nil {
			return err
		}
		dest, err := s.chainByID(ctx, tx, parentID)
		if err != nil {
			return err
		}
		if err := s.checkLocks(ctx, tx, p, LockScope{Path: JoinPath(append(namesOf(dest), name)), Member: true}); err != nil {
			return err
		}
		now := s.now().UnixNano()
		if _, err := tx.ExecContext(ctx, `UPDATE nodes SET deleted_at = NULL, deleted_by = NULL, parent_id = ?, name = ?, updated_at = ?, updated_by = ? WHERE id = ?`,
			parentID, name, now, actorArg(p), id); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		if err := s.touch(ctx, tx, p, dest); err != nil {
			return err
		}
		nc, err := s.chainByID(ctx, tx, id)
		if err != nil {
			return err
		}
		return s.journal(ctx, tx, p, id, "restore", map[string]any{"from": c.path(), "path": nc.path()})
	})
	if err != nil {
		return Node{}, fmt.Errorf("restore trash item %d: %w", id, err)
	}
	s.notify()
	return s.svc.Tree.StatID(ctx, p, id)
}
