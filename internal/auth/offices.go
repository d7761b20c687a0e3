package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"notreasso/internal/errkind"
	"notreasso/internal/meta"
)

// Roles of the association (« Trésorier·e », « Président·e »…) are called
// offices here, so as not to be confused with the folder roles of a grant
// (viewer, editor, manager) or an account's role (admin, member, guest).
// An office is a principal like a group, but nobody is put in it: people
// hold it for terms of office (terms.go), and grants to it reach whoever
// holds it at the moment of the request.

var (
	ErrNoOffice     = errkind.New(errkind.NotFound, "no such role")
	ErrOfficeExists = errkind.New(errkind.Exists, "role already exists")
)

// SeededOffices are the roles a fresh installation starts with, by key,
// with the French name the migration gave them. While a seeded role keeps
// that name, the interface shows it in the reader's language
// (roles.seed.KEY); once renamed, the new name is shown to everyone.
var SeededOffices = []struct{ Key, Name string }{
	{"president", "Président·e"},
	{"treasurer", "Trésorier·e"},
	{"secretary", "Secrétaire"},
	{"board_member", "Membre du conseil d'administration"},
	{"referent", "Référent·e"},
}

// Office is a role of the association that people hold for terms.
type Office struct {
	ID          int64
	Name        string
	Description string
	SeedKey     string // "treasurer" for a seeded role, "" otherwise
	CreatedAt   time.Time
	DeletedAt   time.Time // zero for live roles
}

// Seeded reports whether the role still has the name it was seeded with
// (then the interface translates it).
func (o Office) Seeded() bool {
	for _, s := range SeededOffices {
		if s.Key == o.SeedKey && s.Name == o.Name {
			return true
		}
	}
	return false
}

// Principal is how grants name the role: "role:NAME".
func (o Office) Principal() string { return "role:" + o.Name }

// CleanOfficeName trims and NFC-normalises a role name: 1 to 64
// characters, no control characters, no colon (it separates "role:" from
// the name in principals).
func CleanOfficeName(name string) (string, error) {
	name = norm.NFC.String(strings.TrimSpace(name))
	if name == "" || utf8.RuneCountInString(name) > 64 || strings.IndexFunc(name, unicode.IsControl) >= 0 || strings.Contains(name, ":") {
		return "", fmt.Errorf("%w: a role name has 1 to 64 characters, no colon and no control characters", ErrInvalid)
	}
	return name, nil
}

func cleanDescription(d string) (string, error) {
	d = norm.NFC.String(strings.TrimSpace(d))
	if utf8.RuneCountInString(d) > 500 {
		return "", fmt.Errorf("%w: a role's description has at most 500 characters", ErrInvalid)
	}
	return d, nil
}

const officeCols = `id, name, description, seed_key, created_at, COALESCE(deleted_at, 0)`

func scanOffice(sc interface{ Scan(...any) error }) (Office, error) {
	var o Office
	var created, deleted int64
	err := sc.Scan(&o.ID, &o.Name, &o.Description, &o.SeedKey, &created, &deleted)
	o.CreatedAt, o.DeletedAt = meta.Time(created), meta.Time(deleted)
	return o, err
}

// Offices lists the live roles by name.
func (s *Service) Offices(ctx context.Context) ([]Office, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+officeCols+` FROM roles WHERE deleted_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	defer rows.Close()
	out := []Office{}
	for rows.Next() {
		o, err := scanOffice(rows)
		if err != nil {
			return nil, fmt.Errorf("list roles: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// officeID finds a live role by name, or a seeded one by its key.
func officeID(ctx context.Context, q queryRower, name string) (int64, error) {
	name = norm.NFC.String(strings.TrimSpace(name))
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM roles WHERE deleted_at IS NULL AND (name = ? OR seed_key = ?)
		ORDER BY CASE WHEN name = ? THEN 0 ELSE 1 END LIMIT 1`, name, name, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%q: %w", name, ErrNoOffice)
	}
	if err != nil {
		return 0, fmt.Errorf("find role %q: %w", name, err)
	}
	return id, nil
}

// OfficeByName loads a live role by name (or a seeded role by its key).
func (s *Service) OfficeByName(ctx context.Context, name string) (Office, error) {
	id, err := officeID(ctx, s.db.R, name)
	if err != nil {
		return Office{}, err
	}
	return s.OfficeByID(ctx, id)
}

// OfficeByID loads a role, deleted or not (the register names deleted
// roles too).
func (s *Service) OfficeByID(ctx context.Context, id int64) (Office, error) {
	o, err := scanOffice(s.db.R.QueryRowContext(ctx, `SELECT `+officeCols+` FROM roles WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Office{}, fmt.Errorf("role %d: %w", id, ErrNoOffice)
	}
	return o, err
}

// CreateOffice adds a role.
func (s *Service) CreateOffice(ctx context.Context, actor int64, name, description string) (Office, error) {
	name, err := CleanOfficeName(name)
	if err != nil {
		return Office{}, err
	}
	if description, err = cleanDescription(description); err != nil {
		return Office{}, err
	}
	var id int64
	err = s.tx(ctx, func(tx meta.Tx) error {
		if _, err := officeID(ctx, tx, name); err == nil {
			return fmt.Errorf("%q: %w", name, ErrOfficeExists)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO roles (name, description, created_at) VALUES (?, ?, ?) RETURNING id`,
			name, description, s.now().UnixNano()).Scan(&id); err != nil {
			return fmt.Errorf("create role %s: %w", name, err)
		}
		return s.audit(ctx, tx, actor, "role_add", map[string]any{"office": name})
	})
	if err != nil {
		return Office{}, err
	}
	return s.OfficeByID(ctx, id)
}

// UpdateOffice renames a role and sets its description; its grants and
// terms follow (they name it by id).
func (s *Service) UpdateOffice(ctx context.Context, actor int64, name, newName, description string) (Office, error) {
	newName, err := CleanOfficeName(newName)
	if err != nil {
		return Office{}, err
	}
	if description, err = cleanDescription(description); err != nil {
		return Office{}, err
	}
	var id int64
	err = s.tx(ctx, func(tx meta.Tx) error {
		if id, err = officeID(ctx, tx, name); err != nil {
			return err
		}
		var oldName, oldDesc string
		if err := tx.QueryRowContext(ctx, `SELECT name, description FROM roles WHERE id = ?`, id).Scan(&oldName, &oldDesc); err != nil {
			return fmt.Errorf("read role %s: %w", name, err)
		}
		if oldName == newName && oldDesc == description {
			return nil
		}
		var other int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM roles WHERE deleted_at IS NULL AND name = ?`, newName).Scan(&other)
		if err == nil && other != id {
			return fmt.Errorf("%q: %w", newName, ErrOfficeExists)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE roles SET name = ?, description = ? WHERE id = ?`, newName, description, id); err != nil {
			return fmt.Errorf("update role %s: %w", name, err)
		}
		details := map[string]any{"office": newName}
		if oldName != newName {
			details["from"] = oldName
		}
		return s.audit(ctx, tx, actor, "role_update", details)
	})
	if err != nil {
		return Office{}, err
	}
	return s.OfficeByID(ctx, id)
}

// DeleteOffice removes a role from use: every grant to it and its place in
// collection audiences go (so a role created later can never inherit
// them) and its open terms end now. The
// role's row and its terms stay, so the register keeps who held it.
func (s *Service) DeleteOffice(ctx context.Context, actor int64, name string) error {
	return s.tx(ctx, func(tx meta.Tx) error {
		id, err := officeID(ctx, tx, name)
		if err != nil {
			return err
		}
		now := s.now().UnixNano()
		grants, err := meta.DropGrantsTo(ctx, tx, "role", id)
		if err != nil {
			return fmt.Errorf("delete role %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM collection_audience WHERE principal_kind = 'role' AND principal_id = ?`, id); err != nil {
			return fmt.Errorf("delete role %s from collection audiences: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE terms SET end_at = ? WHERE role_id = ? AND (end_at IS NULL OR end_at > ?)`, now, id, now); err != nil {
			return fmt.Errorf("end the terms of role %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE roles SET deleted_at = ? WHERE id = ?`, now, id); err != nil {
			return fmt.Errorf("delete role %s: %w", name, err)
		}
		return s.audit(ctx, tx, actor, "role_delete", map[string]any{"office": name, "grants_removed": grants})
	})
}
