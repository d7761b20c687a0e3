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
	// AppPasswordsOnly refuses the account password over HTTP Basic.
	AppPasswordsOnly bool
}

// Service manages accounts.
type Service struct {
	db       *meta.DB
	log      *slog.Logger
	now      func() time.Time
	throttle *Throttle

	mu               sync.Mutex
	cache            map[[32]byte]cached // verified Basic credentials
	appPasswordsOnly bool                // refuse account passwords over Basic, for everyone
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
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, log: logger, now: time.Now, cache: map[[32]byte]cached{}, throttle: NewThrottle()}
}

// Throttle is the failed-attempt counter shared by every door (also used
// for share-link passwords).
func (s *Service) Throttle() *Throttle { return s.throttle }

// SetAppPasswordsOnly makes HTTP Basic (WebDAV, API clients) accept app
// passwords only, for every account (config auth.app_passwords_only).
func (s *Service) SetAppPasswordsOnly(v bool) {
	s.mu.Lock()
	s.appPasswordsOnly = v
	clear(s.cache)
	s.mu.Unlock()
}

var loginRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._@-]{0,63}$`)

// CreateUser adds an account. actor is who does it (0 for the system).
func (s *Service) CreateUser(ctx context.Context, actor int64, login, password string, role acl.UserRole) (User, error) {
	return s.CreateAccount(ctx, actor, NewUser{Login: login, Password: password, Role: role})
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
	// A new password also ends every session: whoever knew the old one is out.
	err = s.update(ctx, actor, login, "user_passwd",
		`UPDATE users SET password_hash = ?, session_epoch = session_epoch + 1 WHERE login = ?`, hash, login)
	s.forget()
	return err
}

// SetDisabled disables or re-enables an account (never the last active
// administrator).
func (s *Service) SetDisabled(ctx context.Context, actor int64, login string, disabled bool) error {
	_, err := s.UpdateUser(ctx, actor, login, UserChanges{Disabled: &disabled})
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

const userCols = `id, login, display_name, email, role, lang, disabled, created_at, app_passwords_only`

func scanUser(sc interface{ Scan(...any) error }) (User, error) {
	var u User
	var role string
	var created int64
	err := sc.Scan(&u.ID, &u.Login, &u.DisplayName, &u.Email, &role, &u.Lang, &u.Disabled, &created, &u.AppPasswordsOnly)
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

// Authenticate checks HTTP Basic credentials (API clients, WebDAV): an app
// password of the account, or the account password unless the account or
// the instance requires app passwords. Failures are throttled per client IP
// (from ctx, see WithClientIP) and per account: a throttled attempt gets a
// *ThrottledError without any password being checked. Successes are cached
// briefly (keyed by a hash of login and password) so WebDAV listings don't
// pay the slow hash on every request.
func (s *Service) Authenticate(ctx context.Context, login, password string) (acl.Principal, error) {
	ip := ClientIP(ctx)
	if err := s.throttle.check(ip, login); err != nil {
		return acl.Principal{}, err
	}
	key := sha256.Sum256([]byte(login + "\x00" + password))
	s.mu.Lock()
	c, ok := s.cache[key]
	s.mu.Unlock()
	if ok && s.now().Before(c.expires) {
		return c.p, nil
	}
	id, err := s.verifyBasic(ctx, login, password)
	if err != nil {
		if errors.Is(err, ErrBadCredentials) {
			s.throttle.Fail(ip, login)
		}
		return acl.Principal{}, err
	}
	p, err := s.Principal(ctx, id)
	if err != nil {
		return acl.Principal{}, err
	}
	s.throttle.Succeed(ip, login)
	s.mu.Lock()
	if len(s.cache) > 10000 {
		clear(s.cache)
	}
	s.cache[key] = cached{p: p, expires: s.now().Add(credentialTTL)}
	s.mu.Unlock()
	return p, nil
}

// verifyBasic returns the user id if password is one of the account's app
// passwords or, where allowed, its account password.
func (s *Service) verifyBasic(ctx context.Context, login, password string) (int64, error) {
	var id int64
	var hash string
	var disabled, appOnly bool
	err := s.db.R.QueryRowContext(ctx, `SELECT id, password_hash, disabled, app_passwords_only FROM users WHERE login = ?`, login).
		Scan(&id, &hash, &disabled, &appOnly)
	if errors.Is(err, sql.ErrNoRows) {
		// Hash anyway so timing does not tell which logins exist.
		CheckPassword(dummyHash, password)
		return 0, ErrBadCredentials
	}
	if err != nil {
		return 0, fmt.Errorf("authenticate %s: %w", login, err)
	}
	if ok, err := s.checkAppPassword(ctx, id, password); err != nil {
		return 0, err
	} else if ok && !disabled {
		return id, nil
	}
	s.mu.Lock()
	appOnly = appOnly || s.appPasswordsOnly
	s.mu.Unlock()
	if appOnly {
		CheckPassword(dummyHash, password)
		return 0, ErrBadCredentials
	}
	if ok, err := CheckPassword(hash, password); err != nil || !ok || disabled {
		return 0, ErrBadCredentials
	}
	return id, nil
}

var dummyHash, _ = HashPassword("dummy password for timing")
