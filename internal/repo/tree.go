package repo

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// Stat returns the node at path if the caller may see it.
func (s *Tree) Stat(ctx context.Context, p acl.Principal, path string) (Node, error) {
	c, err := s.resolve(ctx, s.db.R, path)
	if err != nil {
		return Node{}, err
	}
	return s.statChain(ctx, p, c)
}

// StatID returns the live node with this id if the caller may see it.
// Errors name the id only: guessing ids reveals no names.
func (s *Tree) StatID(ctx context.Context, p acl.Principal, id int64) (Node, error) {
	c, err := s.chainByID(ctx, s.db.R, id)
	if errors.Is(err, ErrNotFound) || (err == nil && !c.live()) {
		return Node{}, fmt.Errorf("node %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Node{}, err
	}
	n, err := s.statChain(ctx, p, c)
	if errors.Is(err, ErrNotFound) {
		return Node{}, fmt.Errorf("node %d: %w", id, ErrNotFound)
	}
	return n, err
}

func (s *core) statChain(ctx context.Context, p acl.Principal, c chain) (Node, error) {
	role, err := s.need(ctx, s.db.R, p, c, acl.Viewer)
	if err != nil && role == acl.None && !errors.Is(err, ErrForbidden) {
		return Node{}, err
	}
	// A traversable folder (role None, ErrForbidden) is visible by name only.
	n := c.last().node(c.path(), role)
	tags, err := s.tagsOf(ctx, s.db.R, `nt.node_id = ?`, n.ID)
	if err != nil {
		return Node{}, err
	}
	n.Tags = tags[n.ID]
	return n, nil
}

// List returns the children of the folder at path that the caller may see,
// sorted by name (folders first).
func (s *Tree) List(ctx context.Context, p acl.Principal, path string) (Node, []Node, error) {
	c, err := s.resolve(ctx, s.db.R, path)
	if err != nil {
		return Node{}, nil, err
	}
	dir, err := s.statChain(ctx, p, c)
	if err != nil {
		return Node{}, nil, err
	}
	if !dir.Dir {
		return Node{}, nil, fmt.Errorf("%s: %w", dir.Path, ErrNotDir)
	}
	out, err := s.children(ctx, p, dir, true)
	if err != nil {
		return Node{}, nil, err
	}
	return dir, out, nil
}

// childCols is the lean column list of a WebDAV listing: no author, no
// version numbers (a PROPFIND shows neither), one join fewer.
const childCols = `n.id, n.name, n.kind = 'dir', n.mtime, n.created_at, n.updated_at, v.blob, v.mime, v.size, n.restricted <> 0, n.tree_seq
	FROM nodes n LEFT JOIN versions v ON v.id = n.current_version_id `

// children returns the children of dir (as Stat returned it for p) that p
// may see, sorted by name, folders first. full adds tags, author and
// version numbers; without it one query reads what WebDAV shows.
func (s *core) children(ctx context.Context, p acl.Principal, dir Node, full bool) ([]Node, error) {
	q := `SELECT ` + rowCols + rowFrom + `WHERE n.parent_id = ? AND n.deleted_at IS NULL`
	if !full {
		q = `SELECT ` + childCols + `WHERE n.parent_id = ? AND n.deleted_at IS NULL`
	}
	rows, err := s.db.R.QueryContext(ctx, q, dir.ID)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir.Path, err)
	}
	defer rows.Close()
	var kids []row
	for rows.Next() {
		var r row
		if full {
			r, err = scanRow(rows)
		} else {
			r.parent = dir.ID
			err = rows.Scan(&r.id, &r.name, &r.dir, &r.mtime, &r.created, &r.upd, &r.hash, &r.mime, &r.size, &r.restricted, &r.treeSeq)
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", dir.Path, err)
		}
		kids = append(kids, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", dir.Path, err)
	}
	rows.Close()
	// Children inherit the folder's role; below a traversal-only folder,
	// and for a restricted child (« accès restreint »: the folder's grants
	// stop there), each child needs its own grant or must lead to one.
	restrictedKid := false
	for _, r := range kids {
		restrictedKid = restrictedKid || (r.restricted && !p.IsAdmin())
	}
	var grantsBelow map[int64]acl.Role
	var through map[int64]bool
	if dir.Role == acl.None || restrictedKid {
		if through, err = s.traversalSet(ctx, s.db.R, p); err != nil {
			return nil, err
		}
	}
	// A child's own grant may also raise the role the folder gives (an
	// editor grant on a folder inside one p may only read).
	if dir.Role < acl.Manager || restrictedKid {
		if grantsBelow, err = s.childGrants(ctx, p, dir.ID); err != nil {
			return nil, err
		}
	}
	var tags map[int64][]string
	if full {
		if tags, err = s.tagsOf(ctx, s.db.R, `nt.node_id IN (SELECT id FROM nodes WHERE parent_id = ? AND deleted_at IS NULL)`, dir.ID); err != nil {
			return nil, err
		}
	}
	prefix := dir.Path
	if prefix != "/" {
		prefix += "/"
	}
	out := make([]Node, 0, len(kids))
	for _, r := range kids {
		role := dir.Role
		if r.restricted && !p.IsAdmin() {
			role = acl.None
		}
		if role == acl.None {
			role = grantsBelow[r.id]
			if role == acl.None && !through[r.id] {
				continue
			}
		} else if g, ok := grantsBelow[r.id]; ok && g > role {
			role = g
		}
		n := r.node(prefix+r.name, role)
		n.Tags = tags[r.id]
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Dir != out[j].Dir {
			return out[i].Dir
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// childGrants returns, for children of dir granted directly to p, the role.
func (s *core) childGrants(ctx context.Context, p acl.Principal, dir int64) (map[int64]acl.Role, error) {
	cond, args := grantCondition(p)
	rows, err := s.db.R.QueryContext(ctx, `SELECT g.node_id, g.role FROM grants g JOIN nodes n ON n.id = g.node_id
		WHERE n.parent_id = ? AND (`+cond+`)`, append([]any{dir}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("load grants: %w", err)
	}
	defer rows.Close()
	out := map[int64]acl.Role{}
	for rows.Next() {
		var id int64
		var rs string
		if err := rows.Scan(&id, &rs); err != nil {
			return nil, err
		}
		r, _ := acl.ParseRole(rs)
		if r > out[id] {
			out[id] = r
		}
	}
	return out, rows.Err()
}

// Mkdir creates a folder. The parent must exist.
func (s *Tree) Mkdir(ctx context.Context, p acl.Principal, path string) (Node, error) {
	parentPath, name, err := parentAndName(path)
	if err != nil {
		return Node{}, err
	}
	var id int64
	err = s.db.Tx(ctx, func(tx meta.Tx) error {
		pc, err := s.resolve(ctx, tx, parentPath)
		if err != nil {
			return err
		}
		// Rights first: what the path is must stay hidden from who may not see it.
		if _, err := s.need(ctx, tx, p, pc, acl.Editor); err != nil {
			return err
		}
		if !pc.last().dir {
			return fmt.Errorf("%s: %w", pc.path(), ErrNotDir)
		}
		full := JoinPath(append(namesOf(pc), name))
		if _, err := s.resolve(ctx, tx, full); err == nil {
			return fmt.Errorf("%s: %w", full, ErrExists)
		}
		if err := s.admitName(ctx, tx, p, pc.last().id, name, "", 0); err != nil {
			return err
		}
		if err := s.checkLocks(ctx, tx, p, LockScope{Path: full, Member: true}); err != nil {
			return err
		}
		now := s.now().UnixNano()
		if err := tx.QueryRowContext(ctx, `INSERT INTO nodes (parent_id, name, kind, mtime, created_at, created_by, updated_at, updated_by)
			VALUES (?, ?, 'dir', ?, ?, ?, ?, ?) RETURNING id`, pc.last().id, name, now, now, actorArg(p), now, actorArg(p)).Scan(&id); err != nil {
			return fmt.Errorf("create folder %s: %w", full, err)
		}
		if err := s.touch(ctx, tx, p, pc); err != nil {
			return err
		}
		return s.journal(ctx, tx, p, id, "mkdir", map[string]any{"path": full})
	})
	if err != nil {
		return Node{}, fmt.Errorf("mkdir %s: %w", path, err)
	}
	s.notify()
	return s.StatID(ctx, p, id)
}

// MkdirAll creates a folder and any missing parents.
func (s *Tree) MkdirAll(ctx context.Context, p acl.Principal, path string) (Node, error) {
	names, err := SplitPath(path)
	if err != nil {
		return Node{}, err
	}
	for i := range names {
		sub := JoinPath(names[:i+1])
		n, err := s.Stat(ctx, p, sub)
		if err == nil {
			if !n.Dir {
				return Node{}, fmt.Errorf("%s: %w", sub, ErrNotDir)
			}
			continue
		}
		if !errors.Is(err, ErrNotFound) {
			return Node{}, err
		}
		if _, err := s.Mkdir(ctx, p, sub); err != nil && !errors.Is(err, ErrExists) {
			return Node{}, err
		}
	}
	return s.Stat(ctx, p, JoinPath(names))
}

// Delete moves the node (and its subtree) to the trash.
func (s *Tree) Delete(ctx context.Context, p acl.Principal, path string) error {
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		c, err := s.resolve(ctx, tx, path)
		if err != nil {
			return err
		}
		if len(c) == 1 {
			return fmt.Errorf("%w: the root folder cannot be deleted", ErrConflict)
		}
		if _, err := s.need(ctx, tx, p, c, acl.Editor); err != nil {
			return err
		}
		if err := s.checkLocks(ctx, tx, p, LockScope{Path: c.path(), Deep: true, Member: true}); err != nil {
			return err
		}
		return s.trashNode(ctx, tx, p, c)
	})
	if err != nil {
		return fmt.Errorf("delete %s: %w", path, err)
	}
	s.notify()
	return nil
}

func (s *core) trashNode(ctx context.Context, tx meta.Tx, p acl.Principal, c chain) error {
	// One statement: the node's trash mark rides on its folder's (see
	// touchVersion); its own change counter stays.
	in, ids := chainIDs(6, c)
	args := append([]any{c[len(c)-2].id, s.now().UnixNano(), actorArg(p), viaArg(p), c.last().id}, ids...)
	if _, err := tx.ExecContext(ctx, `UPDATE nodes SET
			tree_seq = CASE WHEN id = ?5 THEN tree_seq ELSE tree_seq + 1 END,
			deleted_at = CASE WHEN id = ?5 THEN ?2 ELSE deleted_at END,
			deleted_by = CASE WHEN id = ?5 THEN ?3 ELSE deleted_by END,
			updated_at = CASE WHEN id = ?1 THEN ?2 ELSE updated_at END,
			updated_by = CASE WHEN id = ?1 THEN ?3 ELSE updated_by END,
			updated_via = CASE WHEN id = ?1 THEN ?4 ELSE updated_via END
		WHERE id IN (`+in+`)`, args...); err != nil {
		return fmt.Errorf("move %s to the trash: %w", c.path(), err)
	}
	return s.journal(ctx, tx, p, c.last().id, "delete", map[string]any{"path": c.path()})
}

// Move renames or moves src to dst. If dst exists and overwrite is set, the
// existing node goes to the trash first (never lost); otherwise ErrExists.
// Moves are metadata only, whatever the size of the subtree.
func (s *Tree) Move(ctx context.Context, p acl.Principal, src, dst string, overwrite bool) (Node, error) {
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
		if len(sc) == 1 {
			return fmt.Errorf("%w: the root folder cannot be moved", ErrConflict)
		}
		if _, err := s.need(ctx, tx, p, sc, acl.Editor); err != nil {
			return err
		}
		if err := s.checkLocks(ctx, tx, p, LockScope{Path: sc.path(), Deep: true, Member: true}); err != nil {
			return err
		}
		dc, err := s.prepareTarget(ctx, tx, p, dstParent, dstName, overwrite, sc.last().id)
		if err != nil {
			return err
		}
		if err := s.admitName(ctx, tx, p, dc.last().id, dstName, sc.last().name, sc.last().id); err != nil {
			return err
		}
		for _, r := range dc {
			if r.id == sc.last().id {
				return fmt.Errorf("%w: cannot move %s into itself", ErrConflict, sc.path())
			}
		}
		id = sc.last().id
		if _, err := tx.ExecContext(ctx, `UPDATE nodes SET parent_id = ?, name = ?, updated_at = ?, updated_by = ? WHERE id = ?`,
			dc.last().id, dstName, s.now().UnixNano(), actorArg(p), id); err != nil {
			return fmt.Errorf("move: %w", err)
		}
		if err := s.touch(ctx, tx, p, sc[:len(sc)-1]); err != nil {
			return err
		}
		if err := s.touch(ctx, tx, p, dc); err != nil {
			return err
		}
		to := JoinPath(append(namesOf(dc), dstName))
		return s.journal(ctx, tx, p, id, "move", map[string]any{"from": sc.path(), "path": to})
	})
	if err != nil {
		return Node{}, fmt.Errorf("move %s to %s: %w", src, dst, err)
	}
	s.notify()
	return s.StatID(ctx, p, id)
}

// prepareTarget resolves the destination folder of a move or copy, checks
// rights there and clears the target name (trashing what is there when
// overwrite is set). self is the source node id: moving onto itself is fine.
func (s *core) prepareTarget(ctx context.Context, tx meta.Tx, p acl.Principal, parent, name string, overwrite bool, self int64) (chain, error) {
	dc, err := s.resolve(ctx, tx, parent)
	if err != nil {
		return nil, err
	}
	if _, err := s.need(ctx, tx, p, dc, acl.Editor); err != nil {
		return nil, err
	}
	if !dc.last().dir {
		return nil, fmt.Errorf("%s: %w", dc.path(), ErrNotDir)
	}
	// What lands there (and what it replaces) must not be locked by others.
	if err := s.checkLocks(ctx, tx, p, LockScope{Path: JoinPath(append(namesOf(dc), name)), Deep: true, Member: true}); err != nil {
		return nil, err
	}
	tc, err := s.resolve(ctx, tx, JoinPath(append(namesOf(dc), name)))
	switch {
	case errors.Is(err, ErrNotFound):
		return dc, nil
	case err != nil:
		return nil, err
	case tc.last().id == self:
		return dc, nil
	case !overwrite:
		return nil, fmt.Errorf("%s: %w", tc.path(), ErrExists)
	}
	if _, err := s.need(ctx, tx, p, tc, acl.Editor); err != nil {
		return nil, err
	}
	return dc, s.trashNode(ctx, tx, p, tc)
}

// Copy copies src (a file or a whole folder) to dst. Only metadata is
// written: the copies share their blobs with the originals. Each copied file
// starts with one version, the source's current one.
func (s *Tree) Copy(ctx context.Context, p acl.Principal, src, dst string, overwrite bool) (Node, error) {
	return s.svc.DAV.CopyTree(ctx, p, src, dst, CopyOptions{Overwrite: overwrite})
}

func (s *core) copyNode(ctx context.Context, tx meta.Tx, p acl.Principal, src row, parent int64, name string) (int64, error) {
	now := s.now().UnixNano()
	kind := "file"
	if src.dir {
		kind = "dir"
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO nodes (parent_id, name, kind, mtime, created_at, created_by, updated_at, updated_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, parent, name, kind, src.mtime, now, actorArg(p), now, actorArg(p)).Scan(&id); err != nil {
		return 0, fmt.Errorf("copy %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO node_tags (node_id, tag_id) SELECT CAST(? AS BIGINT), tag_id FROM node_tags WHERE node_id = ?`, id, src.id); err != nil {
		return 0, err
	}
	if !src.dir {
		var vid int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO versions (node_id, number, blob, size, mime, author, created_at, mtime)
			SELECT CAST(? AS BIGINT), 1, blob, size, mime, author, CAST(? AS BIGINT), mtime FROM versions WHERE id = ? RETURNING id`, id, now, src.verID.Int64).Scan(&vid); err != nil {
			return 0, fmt.Errorf("copy %s: %w", name, err)
		}
		_, err := tx.ExecContext(ctx, `UPDATE nodes SET current_version_id = ? WHERE id = ?`, vid, id)
		return id, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+rowCols+rowFrom+`WHERE n.parent_id = ? AND n.deleted_at IS NULL`, src.id)
	if err != nil {
		return 0, err
	}
	kids, err := readRows(rows)
	if err != nil {
		return 0, err
	}
	for _, k := range kids {
		if _, err := s.copyNode(ctx, tx, p, k, id, k.name); err != nil {
			return 0, err
		}
	}
	return id, nil
}
