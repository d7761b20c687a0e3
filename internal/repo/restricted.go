package repo

import (
	"context"
	"database/sql"
	"fmt"

	"notreasso/internal/acl"
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
func (s *Service) SetRestricted(ctx context.Context, p acl.Principal, path string, on bool) (Node, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
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
func (s *Service) keepManagers(ctx context.Context, tx *sql.Tx, p acl.Principal, c chain) ([]string, error) {
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
