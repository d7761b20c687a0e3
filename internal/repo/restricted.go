package repo

import (
	"context"
	"fmt"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// SetRestricted turns « accès restreint » on or off for the folder at path:
// while on, the grants of the folders above stop at it, so only the grants
// on it and below it apply there (admins still see everything). Managers of
// the folder only.
//
// Turning it on keeps the managers: every manager grant that reached the
// folder from above is copied onto it, in the same transaction, so whoever
// restricts a folder (and the other managers) can still open it and undo
// it. It returns the folder as the caller now sees it.
func (s *Tree) SetRestricted(ctx context.Context, p acl.Principal, path string, on bool) (Node, error) {
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		c, err := s.resolve(ctx, tx, path)
		if err != nil {
			return err
		}
		if _, err := s.need(ctx, tx, p, c, acl.Manager); err != nil {
			return err
		}
		n := c.last()
		if !n.dir {
			return fmt.Errorf("%s: only folders can be restricted: %w", c.path(), ErrNotDir)
		}
		if n.id == RootID {
			return fmt.Errorf("the root folder cannot be restricted (nothing is above it): %w", ErrInvalidName)
		}
		if n.restricted == on {
			return nil
		}
		var kept []string
		if on {
			if kept, err = s.keepManagers(ctx, tx, p, c); err != nil {
				return err
			}
		}
		v := 0
		if on {
			v = 1
		}
		if _, err := tx.ExecContext(ctx, `UPDATE nodes SET restricted = ? WHERE id = ?`, v, n.id); err != nil {
			return fmt.Errorf("restrict %s: %w", c.path(), err)
		}
		action := "restrict"
		if !on {
			action = "unrestrict"
		}
		details := map[string]any{"path": c.path()}
		if len(kept) > 0 {
			details["kept_managers"] = kept
		}
		return s.journal(ctx, tx, p, n.id, action, details)
	})
	if err != nil {
		return Node{}, fmt.Errorf("set restricted=%v on %s: %w", on, path, err)
	}
	s.notify()
	return s.Stat(ctx, p, path)
}

// keepManagers copies onto the last node of c the manager grants that
// reach it from above, where it has no grant of its own to the same
// principal, and returns who they are for.
func (s *core) keepManagers(ctx context.Context, tx meta.Tx, p acl.Principal, c chain) ([]string, error) {
	gs, err := s.grantInfos(ctx, tx, c)
	if err != nil {
		return nil, err
	}
	node := c.last().id
	var kept []string
	for _, g := range gs {
		if g.Blocked || !g.Inherited || g.Role != acl.Manager {
			continue
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO grants (node_id, principal_kind, principal_id, role, created_at, created_by)
			VALUES (?, ?, ?, 'manager', ?, ?) ON CONFLICT (node_id, principal_kind, principal_id)
			DO UPDATE SET role = 'manager' WHERE grants.role <> 'manager'`,
			node, string(g.Kind), g.Who, s.now().UnixNano(), actorArg(p))
		if err != nil {
			return nil, fmt.Errorf("keep manager %s on %s: %w", g.Grantee, c.path(), err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			kept = append(kept, g.Grantee.String())
		}
	}
	return kept, nil
}

// Marks says, for the children of a folder, which are open to the public
// (a grant to public on the child itself) and which have a working share
// link (told only where the caller manages the child): the listing's
// icons. Restricted is on the nodes themselves.
type Marks struct {
	Public bool
	Linked bool
}

// ChildMarks returns the marks of the children of the folder dir, as p
// listed them (kids, with p's role on each).
func (s *Tree) ChildMarks(ctx context.Context, p acl.Principal, dir Node, kids []Node) (map[int64]Marks, error) {
	out := map[int64]Marks{}
	if len(kids) == 0 {
		return out, nil
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT n.id,
			EXISTS (SELECT 1 FROM grants g WHERE g.node_id = n.id AND g.principal_kind = 'public'),
			EXISTS (SELECT 1 FROM share_links l WHERE l.node_id = n.id AND l.revoked_at IS NULL
				AND (l.expires_at IS NULL OR l.expires_at > ?))
		FROM nodes n WHERE n.parent_id = ? AND n.deleted_at IS NULL`, s.now().UnixNano(), dir.ID)
	if err != nil {
		return nil, fmt.Errorf("marks under %s: %w", dir.Path, err)
	}
	defer rows.Close()
	all := map[int64]Marks{}
	for rows.Next() {
		var id int64
		var m Marks
		if err := rows.Scan(&id, &m.Public, &m.Linked); err != nil {
			return nil, fmt.Errorf("marks under %s: %w", dir.Path, err)
		}
		all[id] = m
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, k := range kids {
		m := all[k.ID]
		if k.Role < acl.Viewer {
			continue // a name on the way to something granted: nothing more
		}
		m.Linked = m.Linked && k.Role >= acl.Manager
		if m.Public || m.Linked {
			out[k.ID] = m
		}
	}
	return out, nil
}

// hiddenRestricted returns the ids of the live restricted folders p may
// not read (none for admins).
func (s *core) hiddenRestricted(ctx context.Context, p acl.Principal) ([]any, error) {
	if p.IsAdmin() {
		return nil, nil
	}
	ids, err := queryIDs(ctx, s.db.R, `SELECT id FROM nodes WHERE restricted <> 0 AND deleted_at IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("load restricted folders: %w", err)
	}
	var hidden []any
	for _, id := range ids {
		c, err := s.chainByID(ctx, s.db.R, id)
		if err != nil {
			return nil, err
		}
		role, err := s.roleOn(ctx, s.db.R, p, c)
		if err != nil {
			return nil, err
		}
		if role < acl.Viewer {
			hidden = append(hidden, id)
		}
	}
	return hidden, nil
}
