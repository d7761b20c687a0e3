// Package auth holds accounts and how people prove who they are: users,
// groups, password hashing, app passwords and a short-lived cache of
// verified credentials for HTTP Basic clients.
package auth

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

var (
	ErrBadCredentials = errors.New("wrong login or password")
	ErrUserExists     = errors.New("user already exists")
	ErrNoUser         = errors.New("no such user")
	ErrInvalid        = errors.New("invalid value")
)

// User is an account.
type User struct {
	ID          int64
	Login       string
	DisplayName string
	Email       string
	Role        acl.UserRole
	Lang        string
	Disabled    bool
	CreatedAt   time.Time
}

// Service manages accounts.
type Service struct {
	db  *meta.DB
	log *slog.Logger
	now func() time.Time

	mu    sync.Mutex
	cache map[[32]byte]cached // verified Basic credentials
}

type cached struct {
	p       acl.Principal
	expires time.Time
}

// credentialTTL bounds how long a verified password is trusted without
// re-hashing: long enough for a file manager's burst of requests, short
// enough that a changed password takes effect quickly.
const credentialTTL = 30 * time.Second

// New builds the account service.
func New(db *meta.DB, logger *slog.Logger) *Service {
	return &Service{db: db, log: logger, now: time.Now, cache: map[[32]byte]cached{}}
}

var loginRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._@-]{0,63}$`)

// CreateUser adds an account. actor is who does it (0 for the system).
func (s *Service) CreateUser(ctx context.Context, actor int64, login, password string, role acl.UserRole) (User, error) {
	if !loginRE.MatchString(login) {
		return User{}, fmt.Errorf("%w: a login has 1 to 64 letters, digits, '.', '_', '@' or '-'", ErrInvalid)
	}
	switch role {
	case acl.Admin, acl.Member, acl.Guest:
	default:
		return User{}, fmt.Errorf("%w: role %q (want admin, member or guest)", ErrInvalid, role)
	}
	if len(password) < 8 {
		return User{}, fmt.Errorf("%w: a password has at least 8 characters", ErrInvalid)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return User{}, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE login = ?`, login).Scan(&n)
		if n > 0 {
			return fmt.Errorf("%q: %w", login, ErrUserExists)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (login, role, password_hash, created_at) VALUES (?, ?, ?, ?)`,
			login, string(role), hash, s.now().UnixNano()); err != nil {
			return fmt.Errorf("create user %s: %w", login, err)
		}
		return s.audit(ctx, tx, actor, "user_add", map[string]any{"login": login, "role": role})
	})
	if err != nil {
		return User{}, err
	}
	return s.UserByLogin(ctx, login)
}

// SetPassword changes a password and forgets cached credentials.
func (s *Service) SetPassword(ctx context.Context, actor int64, login, password string) error {
	if len(password) < 8 {
		return fmt.Errorf("%w: a password has at least 8 characters", ErrInvalid)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	err = s.update(ctx, actor, login, "user_passwd", `UPDATE users SET password_hash = ? WHERE login = ?`, hash, login)
	s.forget()
	return err
}

// SetDisabled disables or re-enables an account.
func (s *Service) SetDisabled(ctx context.Context, actor int64, login string, disabled bool) error {
	action := "user_enable"
	if disabled {
		action = "user_disable"
	}
	err := s.update(ctx, actor, login, action, `UPDATE users SET disabled = ? WHERE login = ?`, disabled, login)
	s.forget()
	return err
}

func (s *Service) update(ctx context.Context, actor int64, login, action, q string, args ...any) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("%s %s: %w", action, login, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%q: %w", login, ErrNoUser)
		}
		return s.audit(ctx, tx, actor, action, map[string]any{"login": login})
	})
}

func (s *Service) audit(ctx context.Context, tx *sql.Tx, actor int64, action string, details map[string]any) error {
	b, _ := json.Marshal(details)
	var a any
	if actor != 0 {
		a = actor
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO journal (at, actor, action, details) VALUES (?, ?, ?, ?)`, s.now().UnixNano(), a, action, string(b))
	return err
}

func (s *Service) forget() {
	s.mu.Lock()
	clear(s.cache)
	s.mu.Unlock()
}

const userCols = `id, login, display_name, email, role, lang, disabled, created_at`

func scanUser(sc interface{ Scan(...any) error }) (User, error) {
	var u User
	var role string
	var created int64
	err := sc.Scan(&u.ID, &u.Login, &u.DisplayName, &u.Email, &role, &u.Lang, &u.Disabled, &created)
	u.Role, u.CreatedAt = acl.UserRole(role), meta.Time(created)
	return u, err
}

// UserByLogin loads an account.
func (s *Service) UserByLogin(ctx context.Context, login string) (User, error) {
	u, err := scanUser(s.db.R.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE login = ?`, login))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("%q: %w", login, ErrNoUser)
	}
	return u, err
}

// Users lists every account by login.
func (s *Service) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY login`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Count returns the number of accounts.
func (s *Service) Count(ctx context.Context) (int, error) {
	var n int
	err := s.db.R.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, err
}

// Principal loads the acting identity of a user id (for sessions): role and
// groups are read fresh, and a disabled account is refused.
func (s *Service) Principal(ctx context.Context, id int64) (acl.Principal, error) {
	u, err := scanUser(s.db.R.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if err != nil {
		return acl.Principal{}, fmt.Errorf("user %d: %w", id, ErrNoUser)
	}
	if u.Disabled {
		return acl.Principal{}, fmt.Errorf("%s is disabled: %w", u.Login, ErrBadCredentials)
	}
	p := acl.Principal{UserID: u.ID, Login: u.Login, Role: u.Role}
	rows, err := s.db.R.QueryContext(ctx, `SELECT group_id FROM group_members WHERE user_id = ?`, id)
	if err != nil {
		return acl.Principal{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var g int64
		rows.Scan(&g)
		p.Groups = append(p.Groups, g)
	}
	return p, rows.Err()
}

// Authenticate checks a login and password. Results are cached briefly
// (keyed by a hash of both) so WebDAV listings don't pay the slow hash on
// every request.
func (s *Service) Authenticate(ctx context.Context, login, password string) (acl.Principal, error) {
	key := sha256.Sum256([]byte(login + "\x00" + password))
	s.mu.Lock()
	c, ok := s.cache[key]
	s.mu.Unlock()
	if ok && s.now().Before(c.expires) {
		return c.p, nil
	}
	var id int64
	var hash string
	var disabled bool
	err := s.db.R.QueryRowContext(ctx, `SELECT id, password_hash, disabled FROM users WHERE login = ?`, login).Scan(&id, &hash, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		// Hash anyway so timing does not tell which logins exist.
		CheckPassword(dummyHash, password)
		return acl.Principal{}, ErrBadCredentials
	}
	if err != nil {
		return acl.Principal{}, fmt.Errorf("authenticate %s: %w", login, err)
	}
	if ok, err := CheckPassword(hash, password); err != nil || !ok || disabled {
		return acl.Principal{}, ErrBadCredentials
	}
	p, err := s.Principal(ctx, id)
	if err != nil {
		return acl.Principal{}, err
	}
	s.mu.Lock()
	if len(s.cache) > 10000 {
		clear(s.cache)
	}
	s.cache[key] = cached{p: p, expires: s.now().Add(credentialTTL)}
	s.mu.Unlock()
	return p, nil
}

var dummyHash, _ = HashPassword("dummy password for timing")
