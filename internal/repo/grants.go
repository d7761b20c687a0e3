package repo

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// Grantee names who a grant is for, as people write it: "user:marie",
// "group:Bureau", "role:Trésorier·e" (a role's name, or the key of a seeded
// role: "role:treasurer"), "members", "public" (a bare word is a login).
type Grantee struct {
	Kind acl.PrincipalKind
	Name string // login, group or role name; empty for members and public
}

func (g Grantee) String() string {
	if g.Name == "" {
		return string(g.Kind)
	}
	return string(g.Kind) + ":" + g.Name
}

// ParseGrantee reads "user:LOGIN", "group:NAME", "role:NAME", "members",
// "public" or a bare LOGIN.
func ParseGrantee(s string) (Grantee, error) {
	s = strings.TrimSpace(s)
	kind, name, found := strings.Cut(s, ":")
	switch {
	case !found && (s == "members" || s == "public"):
		return Grantee{Kind: acl.PrincipalKind(s)}, nil
	case !found && s != "":
		return Grantee{Kind: acl.KindUser, Name: s}, nil
	case found && (kind == "user" || kind == "group" || kind == "role") && strings.TrimSpace(name) != "":
		return Grantee{Kind: acl.PrincipalKind(kind), Name: norm.NFC.String(strings.TrimSpace(name))}, nil
	}
	return Grantee{}, fmt.Errorf("%w: %q is not a principal (user:LOGIN, group:NAME, role:NAME, members or public)", ErrInvalidName, s)
}

// GrantInfo is a grant as shown to managers.
type GrantInfo struct {
	acl.Grant
	Grantee   Grantee
	Path      string // the node the grant is on
	CreatedAt time.Time
	CreatedBy string
	Inherited bool // on an ancestor of the node asked about
	// Blocked: on a folder above a restricted one (« accès restreint »),
	// so it does not reach the node asked about.
	Blocked bool
}

// resolveGrantee finds the id of a user or group.
func (s *core) resolveGrantee(ctx context.Context, q querier, g Grantee) (int64, error) {
	var id int64
	var err error
	switch g.Kind {
	case acl.KindMembers, acl.KindPublic:
		return 0, nil
	case acl.KindUser:
		err = q.QueryRowContext(ctx, `SELECT id FROM users WHERE login = ?`, g.Name).Scan(&id)
	case acl.KindGroup:
		err = q.QueryRowContext(ctx, `SELECT id FROM groups WHERE name = ?`, g.Name).Scan(&id)
	case acl.KindRole:
		// A seeded role answers to its key too, whatever it is called now.
		err = q.QueryRowContext(ctx, `SELECT id FROM roles WHERE deleted_at IS NULL AND (name = ? OR seed_key = ?)
			ORDER BY CASE WHEN name = ? THEN 0 ELSE 1 END LIMIT 1`, g.Name, g.Name, g.Name).Scan(&id)
	default:
		return 0, fmt.Errorf("%w: unknown principal kind %q", ErrInvalidName, g.Kind)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%s: %w", g, ErrNotFound)
	}
	return id, err
}

// canonical names a role by its name even when it was asked for by its
// seeded key ("role:treasurer"), so the journal says what people read.
func (s *core) canonical(ctx context.Context, q querier, g Grantee, id int64) (Grantee, error) {
	if g.Kind != acl.KindRole {
		return g, nil
	}
	if err := q.QueryRowContext(ctx, `SELECT name FROM roles WHERE id = ?`, id).Scan(&g.Name); err != nil {
		return g, fmt.Errorf("read role %d: %w", id, err)
	}
	return g, nil
}

// grantInfos loads the grants on the nodes of c, root first, with names.
func (s *core) grantInfos(ctx context.Context, q querier, c chain) ([]GrantInfo, error) {
	ids := c.ids()
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := q.QueryContext(ctx, `SELECT g.id, g.node_id, g.principal_kind, g.principal_id, g.role, g.created_at,
			COALESCE(u.login, gr.name, ro.name, ''), COALESCE(c.login, '')
		FROM grants g
		LEFT JOIN users u ON g.principal_kind = 'user' AND u.id = g.principal_id
		LEFT JOIN groups gr ON g.principal_kind = 'group' AND gr.id = g.principal_id
		LEFT JOIN roles ro ON g.principal_kind = 'role' AND ro.id = g.principal_id
		LEFT JOIN users c ON c.id = g.created_by
		WHERE g.node_id IN (`+placeholders(len(ids))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("load grants: %w", err)
	}
	defer rows.Close()
	depth := map[int64]int{}
	for i, id := range ids {
		depth[id] = i
	}
	from := acl.ReachFrom(c.restrictedFlags())
	var out []GrantInfo
	for rows.Next() {
		var gi GrantInfo
		var kind, role string
		var created int64
		if err := rows.Scan(&gi.ID, &gi.NodeID, &kind, &gi.Who, &role, &created, &gi.Grantee.Name, &gi.CreatedBy); err != nil {
			return nil, fmt.Errorf("load grants: %w", err)
		}
		gi.Kind = acl.PrincipalKind(kind)
		gi.Grantee.Kind = gi.Kind
		if gi.Role, err = acl.ParseRole(role); err != nil {
			return nil, err
		}
		gi.CreatedAt = meta.Time(created)
		d := depth[gi.NodeID]
		gi.Path = c[:d+1].path()
		gi.Inherited = d < len(c)-1
		gi.Blocked = d < from
		out = append(out, gi)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Root first, then by principal, so answers read top-down.
	slices.SortFunc(out, func(a, b GrantInfo) int {
		if d := cmp.Compare(depth[a.NodeID], depth[b.NodeID]); d != 0 {
			return d
		}
		return strings.Compare(a.Grantee.String(), b.Grantee.String())
	})
	return out, nil
}

// Grants lists the grants that apply at path: on the node itself and,
// marked inherited, on its ancestors. Managers of the node only.
func (s *Access) Grants(ctx context.Context, p acl.Principal, path string) (Node, []GrantInfo, error) {
	c, err := s.resolve(ctx, s.db.R, path)
	if err != nil {
		return Node{}, nil, err
	}
	role, err := s.need(ctx, s.db.R, p, c, acl.Manager)
	if err != nil {
		return Node{}, nil, err
	}
	gs, err := s.grantInfos(ctx, s.db.R, c)
	if err != nil {
		return Node{}, nil, err
	}
	return c.last().node(c.path(), role), gs, nil
}

// Grant gives to a role on the node at path and its subtree, replacing
// the role it had there. Managers of the node only (admins everywhere).
func (s *Access) Grant(ctx context.Context, p acl.Principal, path string, to Grantee, role acl.Role) (GrantInfo, error) {
	if role < acl.Viewer || role > acl.Manager {
		return GrantInfo{}, fmt.Errorf("%w: role %v cannot be granted", ErrInvalidName, role)
	}
	var out GrantInfo
	var who int64
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		c, err := s.resolve(ctx, tx, path)
		if err != nil {
			return err
		}
		if _, err := s.need(ctx, tx, p, c, acl.Manager); err != nil {
			return err
		}
		if to.Kind == acl.KindPublic && role >= acl.Editor && !p.IsAdmin() {
			// Anyone on the Internet, without an account, could then write
			// and delete here: an instance-wide decision.
			return fmt.Errorf("only an administrator may let visitors without an account change %s (public %s): %w", c.path(), role, ErrForbidden)
		}
		who, err = s.resolveGrantee(ctx, tx, to)
		if err != nil {
			return err
		}
		if to, err = s.canonical(ctx, tx, to, who); err != nil {
			return err
		}
		node := c.last().id
		var before string
		err = tx.QueryRowContext(ctx, `SELECT role FROM grants WHERE node_id = ? AND principal_kind = ? AND principal_id = ?`,
			node, string(to.Kind), who).Scan(&before)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if before == role.String() {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO grants (node_id, principal_kind, principal_id, role, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (node_id, principal_kind, principal_id)
			DO UPDATE SET role = excluded.role, created_at = excluded.created_at, created_by = excluded.created_by`,
			node, string(to.Kind), who, role.String(), s.now().UnixNano(), actorArg(p)); err != nil {
			return fmt.Errorf("grant %s on %s: %w", to, c.path(), err)
		}
		details := map[string]any{"path": c.path(), "principal": to.String(), "role": role.String()}
		if before != "" {
			details["previous"] = before
		}
		return s.journal(ctx, tx, p, node, "grant_add", details)
	})
	if err != nil {
		return GrantInfo{}, fmt.Errorf("grant %s %s on %s: %w", to, role, path, err)
	}
	s.notify()
	_, gs, err := s.Grants(ctx, p, path)
	for _, g := range gs {
		if !g.Inherited && g.Kind == to.Kind && g.Who == who { // a role may be named by its key
			out = g
		}
	}
	return out, err
}

// Revoke removes the grant to `to` on the node at path (not on its
// ancestors: revoke those where they are). Managers of the node only.
func (s *Access) Revoke(ctx context.Context, p acl.Principal, path string, to Grantee) error {
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		c, err := s.resolve(ctx, tx, path)
		if err != nil {
			return err
		}
		if _, err := s.need(ctx, tx, p, c, acl.Manager); err != nil {
			return err
		}
		who, err := s.resolveGrantee(ctx, tx, to)
		if err != nil {
			return err
		}
		if to, err = s.canonical(ctx, tx, to, who); err != nil {
			return err
		}
		var role string
		err = tx.QueryRowContext(ctx, `DELETE FROM grants WHERE node_id = ? AND principal_kind = ? AND principal_id = ? RETURNING role`,
			c.last().id, string(to.Kind), who).Scan(&role)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("no grant to %s on %s: %w", to, c.path(), ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("revoke %s on %s: %w", to, c.path(), err)
		}
		return s.journal(ctx, tx, p, c.last().id, "grant_remove", map[string]any{"path": c.path(), "principal": to.String(), "role": role})
	})
	if err != nil {
		return fmt.Errorf("revoke %s on %s: %w", to, path, err)
	}
	s.notify()
	return nil
}

// Explanation answers "why can this person see this?".
type Explanation struct {
	Path     string
	Role     acl.Role    // the person's effective role on the node
	Admin    bool        // administrators are managers everywhere, without grants
	Traverse bool        // no role, but the name is visible: something below is granted to them
	Because  []GrantInfo // the matching grants, on the node or its ancestors, root first
	// RestrictedAt is the nearest restricted folder at or above the node
	// ("" if none): grants above it do not count.
	RestrictedAt string
}

// Explain says what role `who` has on the node at path and which grants
// give it. The node's managers may ask about anyone; anyone may ask about
// themselves (about what they can see).
func (s *Access) Explain(ctx context.Context, asker, who acl.Principal, path string) (Explanation, error) {
	c, err := s.resolve(ctx, s.db.R, path)
	if err != nil {
		return Explanation{}, err
	}
	self := asker.UserID == who.UserID && asker.Share == nil && who.Share == nil && !asker.Anonymous()
	if !self {
		if _, err := s.need(ctx, s.db.R, asker, c, acl.Manager); err != nil {
			return Explanation{}, err
		}
	} else if _, err := s.need(ctx, s.db.R, asker, c, acl.Viewer); err != nil && !errors.Is(err, ErrForbidden) {
		return Explanation{}, err
	}
	ex := Explanation{Path: c.path(), Admin: who.IsAdmin()}
	gs, err := s.grantInfos(ctx, s.db.R, c)
	if err != nil {
		return Explanation{}, err
	}
	if from := acl.ReachFrom(c.restrictedFlags()); from > 0 {
		ex.RestrictedAt = c[:from+1].path()
	}
	var grants []acl.Grant
	for _, g := range gs {
		if !g.Blocked {
			grants = append(grants, g.Grant)
		}
	}
	ex.Role, _ = acl.Effective(who, grants)
	for _, g := range gs {
		if !g.Blocked && g.Matches(who) {
			ex.Because = append(ex.Because, g)
		}
	}
	if ex.Role == acl.None {
		if ex.Traverse, err = s.traversable(ctx, s.db.R, who, c.last().id); err != nil {
			return Explanation{}, err
		}
	}
	return ex, nil
}
