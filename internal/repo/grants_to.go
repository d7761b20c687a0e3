package repo

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// GrantsTo lists the grants given to one principal (a group's folders, an
// account's direct grants), on live nodes, by path. Administrators only:
// it names folders across the whole tree.
func (s *Access) GrantsTo(ctx context.Context, p acl.Principal, to Grantee) ([]GrantInfo, error) {
	if err := needAdmin(p, "listing a principal's grants"); err != nil {
		return nil, err
	}
	who, err := s.resolveGrantee(ctx, s.db.R, to)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT g.id, g.node_id, g.role, g.created_at, COALESCE(c.login, '')
		FROM grants g LEFT JOIN users c ON c.id = g.created_by
		WHERE g.principal_kind = ? AND g.principal_id = ?`, string(to.Kind), who)
	if err != nil {
		return nil, fmt.Errorf("grants to %s: %w", to, err)
	}
	var out []GrantInfo
	for rows.Next() {
		gi := GrantInfo{Grantee: to}
		var role string
		var created int64
		if err := rows.Scan(&gi.ID, &gi.NodeID, &role, &created, &gi.CreatedBy); err != nil {
			rows.Close()
			return nil, fmt.Errorf("grants to %s: %w", to, err)
		}
		gi.Kind, gi.Who, gi.CreatedAt = to.Kind, who, meta.Time(created)
		if gi.Role, err = acl.ParseRole(role); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, gi)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	live := out[:0]
	for _, gi := range out {
		c, err := s.chainByID(ctx, s.db.R, gi.NodeID)
		if err != nil || !c.live() {
			continue // in the trash: not in force until restored
		}
		gi.Path = c.path()
		live = append(live, gi)
	}
	slices.SortFunc(live, func(a, b GrantInfo) int { return strings.Compare(a.Path, b.Path) })
	return live, nil
}
