package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"notreasso/internal/errkind"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"notreasso/internal/meta"
)

var (
	ErrNoGroup     = errkind.New(errkind.NotFound, "no such group")
	ErrGroupExists = errkind.New(errkind.Exists, "group already exists")
)

// Group is a named set of accounts that grants can name ("bureau",
// "Partenaires Fondation X").
type Group struct {
	ID        int64
	Name      string
	CreatedAt time.Time
	Members   []string // logins, sorted
}

// CleanGroupName trims and NFC-normalises a group name: 1 to 64
// characters, no control characters.
func CleanGroupName(name string) (string, error) {
	name = norm.NFC.String(strings.TrimSpace(name))
	if name == "" || utf8.RuneCountInString(name) > 64 || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", fmt.Errorf("%w: a group name has 1 to 64 characters and no control characters", ErrInvalid)
	}
	return name, nil
}

// CreateGroup adds an empty group.
func (s *Service) CreateGroup(ctx context.Context, actor int64, name string) (Group, error) {
	name, err := CleanGroupName(name)
	if err != nil {
		return Group{}, err
	}
	err = s.tx(ctx, func(tx meta.Tx) error {
		if _, err := groupID(ctx, tx, name); err == nil {
			return fmt.Errorf("%q: %w", name, ErrGroupExists)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO groups (name, created_at) VALUES (?, ?)`, name, s.now().UnixNano()); err != nil {
			return fmt.Errorf("create group %s: %w", name, err)
		}
		return s.audit(ctx, tx, actor, "group_add", map[string]any{"group": name})
	})
	if err != nil {
		return Group{}, err
	}
	return s.GroupByName(ctx, name)
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func groupID(ctx context.Context, q queryRower, name string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM groups WHERE name = ?`, norm.NFC.String(strings.TrimSpace(name))).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%q: %w", name, ErrNoGroup)
	}
	return id, err
}

// GroupByName loads a group and its members.
func (s *Service) GroupByName(ctx context.Context, name string) (Group, error) {
	gs, err := s.groups(ctx, `WHERE g.name = ?`, norm.NFC.String(strings.TrimSpace(name)))
	if err != nil {
		return Group{}, err
	}
	if len(gs) == 0 {
		return Group{}, fmt.Errorf("%q: %w", name, ErrNoGroup)
	}
	return gs[0], nil
}

// Groups lists every group with its members, by name.
func (s *Service) Groups(ctx context.Context) ([]Group, error) {
	return s.groups(ctx, ``)
}

// GroupsOf lists the names of the groups a user belongs to.
func (s *Service) GroupsOf(ctx context.Context, userID int64) ([]string, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT g.name FROM groups g JOIN group_members m ON m.group_id = g.id WHERE m.user_id = ? ORDER BY g.name`, userID)
	if err != nil {
		return nil, fmt.Errorf("groups of user %d: %w", userID, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func (s *Service) groups(ctx context.Context, where string, args ...any) ([]Group, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT g.id, g.name, g.created_at, COALESCE(u.login, '')
		FROM groups g LEFT JOIN group_members m ON m.group_id = g.id LEFT JOIN users u ON u.id = m.user_id `+where+`
		ORDER BY g.name, u.login`, args...)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	defer rows.Close()
	out := []Group{}
	for rows.Next() {
		var g Group
		var created int64
		var login string
		if err := rows.Scan(&g.ID, &g.Name, &created, &login); err != nil {
			return nil, fmt.Errorf("list groups: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].ID != g.ID {
			g.CreatedAt, g.Members = meta.Time(created), []string{}
			out = append(out, g)
		}
		if login != "" {
			last := &out[len(out)-1]
			last.Members = append(last.Members, login)
		}
	}
	return out, rows.Err()
}

// RenameGroup renames a group; its grants follow (they name it by id).
func (s *Service) RenameGroup(ctx context.Context, actor int64, name, newName string) error {
	newName, err := CleanGroupName(newName)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx meta.Tx) error {
		id, err := groupID(ctx, tx, name)
		if err != nil {
			return err
		}
		if other, err := groupID(ctx, tx, newName); err == nil && other != id {
			return fmt.Errorf("%q: %w", newName, ErrGroupExists)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE groups SET name = ? WHERE id = ?`, newName, id); err != nil {
			return fmt.Errorf("rename group %s: %w", name, err)
		}
		return s.audit(ctx, tx, actor, "group_rename", map[string]any{"group": newName, "from": name})
	})
}

// DeleteGroup removes a group, its memberships and every grant to it, so
// a group created later can never inherit them.
func (s *Service) DeleteGroup(ctx context.Context, actor int64, name string) error {
	err := s.tx(ctx, func(tx meta.Tx) error {
		id, err := groupID(ctx, tx, name)
		if err != nil {
			return err
		}
		grants, err := meta.DropGrantsTo(ctx, tx, "group", id)
		if err != nil {
			return fmt.Errorf("delete group %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM groups WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete group %s: %w", name, err)
		}
		return s.audit(ctx, tx, actor, "group_delete", map[string]any{"group": name, "grants_removed": grants})
	})
	return err
}

// AddMember puts an account in a group (no error if it already is).
func (s *Service) AddMember(ctx context.Context, actor int64, group, login string) error {
	return s.membership(ctx, actor, group, login, true)
}

// RemoveMember takes an account out of a group (no error if it was not in).
func (s *Service) RemoveMember(ctx context.Context, actor int64, group, login string) error {
	return s.membership(ctx, actor, group, login, false)
}

func (s *Service) membership(ctx context.Context, actor int64, group, login string, add bool) error {
	err := s.tx(ctx, func(tx meta.Tx) error {
		gid, err := groupID(ctx, tx, group)
		if err != nil {
			return err
		}
		var uid int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE login = ?`, login).Scan(&uid); err != nil {
			return fmt.Errorf("%q: %w", login, ErrNoUser)
		}
		q, action := `INSERT INTO group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, "group_member_add"
		if !add {
			q, action = `DELETE FROM group_members WHERE group_id = ? AND user_id = ?`, "group_member_remove"
		}
		res, err := tx.ExecContext(ctx, q, gid, uid)
		if err != nil {
			return fmt.Errorf("%s %s %s: %w", action, group, login, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // nothing changed, nothing to journal
		}
		return s.audit(ctx, tx, actor, action, map[string]any{"group": group, "login": login})
	})
	return err
}
