package repo

import (
	"context"
	"fmt"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// Principals is everything that decides who sees what, as an export or a
// move to another host needs it: accounts, groups with their members, and
// every grant by node.
type Principals struct {
	Users  []ExportedUser
	Groups []ExportedGroup
	Roles  []ExportedRole            // the association's roles, deleted ones included (the register names them)
	Terms  []ExportedTerm            // the register of terms of office, by role, oldest first
	Grants map[int64][]ExportedGrant // node id → its grants, in the order given
}

// ExportedRole is a role of the association (« Trésorier·e »).
type ExportedRole struct {
	Name, Description string
	Deleted           bool
}

// ExportedTerm is one term of office: Login held Role from Start until End
// (zero: open-ended), elected by Decision.
type ExportedTerm struct {
	Role, Login, Holder, Decision string
	Start, End                    time.Time
}

// ExportedUser is an account, without any secret.
type ExportedUser struct {
	Login, DisplayName, Email, Role string
	Disabled                        bool
	Created                         time.Time
}

// ExportedGroup is a group and the logins of its members, sorted.
type ExportedGroup struct {
	Name    string
	Members []string
}

// ExportedGrant gives Role to To: "user:LOGIN", "group:NAME", "role:NAME",
// "members" or "public".
type ExportedGrant struct {
	To, Role string
}

// ExportPrincipals reads accounts, groups and grants for an administrator.
func (s *Maintenance) ExportPrincipals(ctx context.Context, p acl.Principal) (Principals, error) {
	var out Principals
	if !p.IsAdmin() {
		return out, fmt.Errorf("export accounts and grants: %w", acl.ErrForbidden)
	}
	db := s.db.R
	rows, err := db.QueryContext(ctx, `SELECT login, display_name, email, role, disabled, created_at FROM users ORDER BY login`)
	if err != nil {
		return out, fmt.Errorf("export accounts: %w", err)
	}
	for rows.Next() {
		var u ExportedUser
		var created int64
		if err := rows.Scan(&u.Login, &u.DisplayName, &u.Email, &u.Role, &u.Disabled, &created); err != nil {
			rows.Close()
			return out, fmt.Errorf("export accounts: %w", err)
		}
		u.Created = time.Unix(0, created).UTC()
		out.Users = append(out.Users, u)
	}
	rows.Close()
	rows, err = db.QueryContext(ctx, `SELECT g.name, COALESCE(u.login, '') FROM groups g
		LEFT JOIN group_members m ON m.group_id = g.id LEFT JOIN users u ON u.id = m.user_id ORDER BY g.name, u.login`)
	if err != nil {
		return out, fmt.Errorf("export groups: %w", err)
	}
	for rows.Next() {
		var name, member string
		if err := rows.Scan(&name, &member); err != nil {
			rows.Close()
			return out, fmt.Errorf("export groups: %w", err)
		}
		if len(out.Groups) == 0 || out.Groups[len(out.Groups)-1].Name != name {
			out.Groups = append(out.Groups, ExportedGroup{Name: name, Members: []string{}})
		}
		if member != "" {
			g := &out.Groups[len(out.Groups)-1]
			g.Members = append(g.Members, member)
		}
	}
	rows.Close()
	if err := exportOffices(ctx, db, &out); err != nil {
		return out, err
	}
	rows, err = db.QueryContext(ctx, `SELECT g.node_id, g.principal_kind, COALESCE(u.login, gr.name, ro.name, ''), g.role FROM grants g
		LEFT JOIN users u ON g.principal_kind = 'user' AND u.id = g.principal_id
		LEFT JOIN groups gr ON g.principal_kind = 'group' AND gr.id = g.principal_id
		LEFT JOIN roles ro ON g.principal_kind = 'role' AND ro.id = g.principal_id ORDER BY g.node_id, g.id`)
	if err != nil {
		return out, fmt.Errorf("export grants: %w", err)
	}
	defer rows.Close()
	out.Grants = map[int64][]ExportedGrant{}
	for rows.Next() {
		var id int64
		var kind, who, role string
		if err := rows.Scan(&id, &kind, &who, &role); err != nil {
			return out, fmt.Errorf("export grants: %w", err)
		}
		to := kind
		if kind == "user" || kind == "group" || kind == "role" {
			to += ":" + who
		}
		out.Grants[id] = append(out.Grants[id], ExportedGrant{To: to, Role: role})
	}
	return out, rows.Err()
}

// exportOffices reads the roles and the register of terms.
func exportOffices(ctx context.Context, db querier, out *Principals) error {
	rows, err := db.QueryContext(ctx, `SELECT name, description, deleted_at IS NOT NULL FROM roles ORDER BY id`)
	if err != nil {
		return fmt.Errorf("export roles: %w", err)
	}
	for rows.Next() {
		var r ExportedRole
		if err := rows.Scan(&r.Name, &r.Description, &r.Deleted); err != nil {
			rows.Close()
			return fmt.Errorf("export roles: %w", err)
		}
		out.Roles = append(out.Roles, r)
	}
	rows.Close()
	rows, err = db.QueryContext(ctx, `SELECT r.name, t.holder_login, COALESCE(NULLIF(u.display_name, ''), t.holder_name), t.decision,
			t.start_at, COALESCE(t.end_at, 0)
		FROM terms t JOIN roles r ON r.id = t.role_id LEFT JOIN users u ON u.id = t.user_id ORDER BY r.id, t.start_at, t.id`)
	if err != nil {
		return fmt.Errorf("export terms: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t ExportedTerm
		var start, end int64
		if err := rows.Scan(&t.Role, &t.Login, &t.Holder, &t.Decision, &start, &end); err != nil {
			return fmt.Errorf("export terms: %w", err)
		}
		t.Start, t.End = meta.Time(start), meta.Time(end)
		out.Terms = append(out.Terms, t)
	}
	return rows.Err()
}
