// Package auth holds accounts and how people prove who they are: users,
// groups, password hashing, app passwords and a short-lived cache of
// verified credentials for HTTP Basic clients.
package auth

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"notreasso/internal/clientip"
	"notreasso/internal/errkind"
	"notreasso/internal/pwhash"
	"regexp"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

var (
	ErrBadCredentials = errors.New("wrong login or password")
	ErrUserExists     = errkind.New(errkind.Exists, "user already exists")
	ErrNoUser         = errkind.New(errkind.NotFound, "no such user")
	ErrInvalid        = errkind.New(errkind.Invalid, "invalid value")
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

	checks           singleflight.Group // password hashes in progress
	mu               sync.Mutex
	cache            map[[32]byte]verified // account passwords recently checked
	appPasswordsOnly bool                  // refuse account passwords over Basic, for everyone
	devices          deviceCache           // logins and secrets recently checked (devices.go)
	genStamp         *meta.Stamp           // announces the authentication generation (devices.go); nil on PostgreSQL
}

// verified remembers that a password matched the account's stored hash.
// The entry counts only while that hash is still the account's (read from
// the database on every request), so a password change, on this node or
// on another sharing the database, ends it at once; being disabled is
// read on every request too.
type verified struct {
	userID  int64
	hash    string
	expires time.Time
}

// credentialTTL bounds how long a verified password is trusted without
// re-hashing: long enough for a file manager's burst of requests. It is no
// longer what makes a change take effect (the stored hash is), only a
// bound on how long a secret stays in memory.
const credentialTTL = 5 * time.Minute

// New builds the account service.
func New(db *meta.DB, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{db: db, log: logger, now: time.Now, cache: map[[32]byte]verified{}, genStamp: db.Stamp(generationStamp)}
	// One clock for the service and its throttle, so tests control both.
	s.throttle = NewThrottle(func() time.Time { return s.now() })
	if db.Dialect() == meta.Postgres {
		s.throttle.shared, s.throttle.logger = db, logger
	}
	return s
}

// Throttle is the failed-attempt counter shared by every door (also used
// for share-link passwords).
func (s *Service) Throttle() *Throttle { return s.throttle }

// SetAppPasswordsOnly makes HTTP Basic (WebDAV, API clients) accept app
// passwords only, for every account (config auth.app_passwords_only).
func (s *Service) SetAppPasswordsOnly(v bool) {
	s.mu.Lock()
	s.appPasswordsOnly = v
	s.devices.clear()
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
	hash, err := pwhash.Hash(ctx, password)
	if err != nil {
		return err
	}
	// A new password also ends every session: whoever knew the old one is
	// out. The new hash alone ends cached Basic credentials, on every node.
	return s.update(ctx, actor, login, "user_passwd",
		`UPDATE users SET password_hash = ?, session_epoch = session_epoch + 1 WHERE login = ?`, hash, login)
}

// SetDisabled disables or re-enables an account (never the last active
// administrator).
func (s *Service) SetDisabled(ctx context.Context, actor int64, login string, disabled bool) error {
	_, err := s.UpdateUser(ctx, actor, login, UserChanges{Disabled: &disabled})
	return err
}

func (s *Service) update(ctx context.Context, actor int64, login, action, q string, args ...any) error {
	return s.tx(ctx, func(tx meta.Tx) error {
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

func (s *Service) audit(ctx context.Context, tx meta.Tx, actor int64, action string, details map[string]any) error {
	return meta.AppendJournal(ctx, tx, meta.JournalEntry{At: s.now(), Actor: actor, Action: action, Details: details})
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
	if err := s.memberships(ctx, &p); err != nil {
		return acl.Principal{}, err
	}
	return p, nil
}

// memberships fills in the groups p is in and the roles p holds a term
// for now (by the service's clock), and when the roles next change.
func (s *Service) memberships(ctx context.Context, p *acl.Principal) error {
	// One statement for both (every authenticated request pays it).
	now := s.now()
	rows, err := s.db.R.QueryContext(ctx, membershipsSQL("?1"), p.UserID, now.UnixNano())
	if err != nil {
		return fmt.Errorf("groups and roles of %s: %w", p.Login, err)
	}
	defer rows.Close()
	var m memberships
	for rows.Next() {
		var kind, id, start, end int64
		if err := rows.Scan(&kind, &id, &start, &end); err != nil {
			return fmt.Errorf("groups and roles of %s: %w", p.Login, err)
		}
		m.add(kind, id, start, end)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("groups and roles of %s: %w", p.Login, err)
	}
	p.Groups = append(p.Groups, m.groups...)
	p.Offices, p.Until = inOffice(m.terms, now)
	return nil
}

// Device is who an HTTP Basic request acts for, and with which secret.
type Device struct {
	acl.Principal
	// AppPassword is the id of the app password used; 0 means the account
	// password. Account management (password, e-mail, app passwords) is
	// refused to app passwords: a leaked phone password must not become
	// the whole account.
	AppPassword int64
}

// AuthenticateDevice checks HTTP Basic credentials (WebDAV, the sync
// protocol, API clients) sent from addr: an app password of the account,
// or the account password unless the account or the instance requires
// app passwords. A disabled account is refused, with every secret.
//
// Failures are throttled per (account, address) and per address; a
// throttled attempt gets a *ThrottledError before any password is hashed,
// and a check that waits too long for a hashing slot a *pwhash.BusyError. A
// verified account password is remembered (see verified) so WebDAV
// listings do not pay the slow hash on every request; app passwords are
// checked in the database (a SHA-256 and one indexed read). A successful
// check is remembered while nothing it depends on changes (devices.go).
func (s *Service) AuthenticateDevice(ctx context.Context, login, secret, addr string) (Device, error) {
	if err := s.throttle.check(addr, login); err != nil {
		return Device{}, err
	}
	now := s.now()
	key := deviceKey(login, secret)
	gen, err := s.generation(ctx)
	if err != nil {
		return Device{}, err
	}
	if d, ok := s.devices.get(key, gen, now); ok {
		return d, nil
	}
	a, m, err := s.accountAndMemberships(ctx, login, now)
	if errors.Is(err, ErrNoUser) {
		return Device{}, s.fail(ctx, addr, login, secret)
	}
	if err != nil {
		return Device{}, err
	}
	if a.disabled {
		s.throttle.Fail(addr, login)
		return Device{}, ErrBadCredentials
	}
	apID, err := s.checkAppPassword(ctx, a.id, secret)
	if err != nil {
		return Device{}, err
	}
	if apID == 0 {
		s.mu.Lock()
		appOnly := a.appOnly || s.appPasswordsOnly
		s.mu.Unlock()
		if appOnly {
			s.throttle.Fail(addr, login)
			return Device{}, ErrBadCredentials
		}
		if err := s.checkAccountPassword(ctx, a, secret, addr); err != nil {
			return Device{}, err
		}
	}
	// The account row was read above with its groups and terms.
	p := acl.Principal{UserID: a.id, Login: a.login, Role: a.role, Groups: m.groups}
	p.Offices, p.Until = inOffice(m.terms, now)
	s.throttle.Succeed(addr, login)
	d := Device{Principal: p, AppPassword: apID}
	s.devices.put(key, d, gen, now)
	return d, nil
}

// Authenticate is AuthenticateDevice for callers that only need the
// principal (WebDAV), with the address recorded in ctx (clientip.With).
func (s *Service) Authenticate(ctx context.Context, login, password string) (acl.Principal, error) {
	d, err := s.AuthenticateDevice(ctx, login, password, clientip.From(ctx))
	return d.Principal, err
}

// account is what a password check reads of an account, fresh each time.
type account struct {
	id, epoch         int64
	login, hash       string
	disabled, appOnly bool
	role              acl.UserRole
}

func (s *Service) account(ctx context.Context, login string) (account, error) {
	a := account{login: login}
	var role string
	err := s.db.R.QueryRowContext(ctx, `SELECT id, login, password_hash, disabled, app_passwords_only, session_epoch, role FROM users WHERE login = ?`, login).
		Scan(&a.id, &a.login, &a.hash, &a.disabled, &a.appOnly, &a.epoch, &role)
	a.role = acl.UserRole(role)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("%q: %w", login, ErrNoUser)
	}
	if err != nil {
		return a, fmt.Errorf("read account %s: %w", login, err)
	}
	return a, nil
}

// memberships are a user's groups and terms of office.
type memberships struct {
	groups []int64
	terms  []term
}

// add records a row of membershipsSQL.
func (m *memberships) add(kind, id, start, end int64) {
	if kind == kindGroup {
		m.groups = append(m.groups, id)
	} else {
		m.terms = append(m.terms, term{role: id, start: start, end: end})
	}
}

// Kinds of the rows: accountAndMemberships' account row is 0; in
// membershipsSQL a group is 1 and a term of office 2.
const (
	kindAccount = 0
	kindGroup   = 1
)

// membershipsSQL selects (kind, id, start, end) for the groups of the
// user whose id the SQL expression user gives and for the user's terms of
// office not ended at ?2 (Unix nanoseconds).
func membershipsSQL(user string) string {
	return `SELECT 1 AS k, group_id AS id, 0 AS s, 0 AS e FROM group_members WHERE user_id = ` + user + `
		UNION ALL
		SELECT 2, t.role_id, t.start_at, COALESCE(t.end_at, 0) FROM terms t
		JOIN roles r ON r.id = t.role_id AND r.deleted_at IS NULL
		WHERE t.user_id = ` + user + ` AND (t.end_at IS NULL OR t.end_at > ?2)`
}

// accountAndMemberships is account with the account's groups and its
// terms of office not ended at now, in one statement: a WebDAV client or
// sync app authenticates every request. They are read before the secret
// is checked and used only once it is.
func (s *Service) accountAndMemberships(ctx context.Context, login string, now time.Time) (account, memberships, error) {
	a := account{login: login}
	var m memberships
	rows, err := s.db.R.QueryContext(ctx, `SELECT 0, id, login, password_hash, disabled, app_passwords_only, session_epoch, role, 0, 0
			FROM users WHERE login = ?1
		UNION ALL
		SELECT k, id, '', '', 0, 0, 0, '', s, e FROM (`+membershipsSQL(`(SELECT id FROM users WHERE login = ?1)`)+`) AS m`,
		login, now.UnixNano())
	if err != nil {
		return a, m, fmt.Errorf("read account %s: %w", login, err)
	}
	defer rows.Close()
	found := false
	for rows.Next() {
		var kind, id, disabled, appOnly, epoch, start, end int64
		var login, hash, role string
		if err := rows.Scan(&kind, &id, &login, &hash, &disabled, &appOnly, &epoch, &role, &start, &end); err != nil {
			return a, m, fmt.Errorf("read account %s: %w", a.login, err)
		}
		if kind == kindAccount {
			found = true
			a = account{id: id, epoch: epoch, login: login, hash: hash, disabled: disabled != 0, appOnly: appOnly != 0, role: acl.UserRole(role)}
			continue
		}
		m.add(kind, id, start, end)
	}
	if err := rows.Err(); err != nil {
		return a, m, fmt.Errorf("read account %s: %w", a.login, err)
	}
	if !found {
		return a, m, fmt.Errorf("%q: %w", a.login, ErrNoUser)
	}
	return a, m, nil
}

// checkAccountPassword checks the account password against the stored
// hash: from the cache while the hash it was verified against is still the
// account's, else by hashing (throttled, in a bounded slot). A wrong
// password counts as a failure.
func (s *Service) checkAccountPassword(ctx context.Context, a account, password, addr string) error {
	key := cacheKey(a.id, password)
	s.mu.Lock()
	c, ok := s.cache[key]
	s.mu.Unlock()
	if ok && c.userID == a.id && c.hash == a.hash && s.now().Before(c.expires) {
		return nil
	}
	// Concurrent checks of the same secret from the same address share
	// one hash: a WebDAV client's first burst of parallel requests, or a
	// flood replaying one guess, costs one work area, not one each.
	v, err, _ := s.checks.Do(addr+"\x00"+hex.EncodeToString(key[:])+a.hash, func() (any, error) {
		release, err := pwhash.Acquire(ctx, pwhash.QueueWait)
		if err != nil {
			return false, err
		}
		defer release()
		// Failures recorded while this request queued count too: a flood
		// of wrong passwords is cut off here, not after each one is hashed.
		if err := s.throttle.check(addr, a.login); err != nil {
			return false, err
		}
		match, err := pwhash.CheckHeld(a.hash, password)
		if err != nil {
			return false, fmt.Errorf("check the password of %s: %w", a.login, err)
		}
		return match, nil
	})
	if err != nil {
		return err
	}
	if match := v.(bool); !match {
		s.throttle.Fail(addr, a.login)
		return ErrBadCredentials
	}
	s.mu.Lock()
	if len(s.cache) > 10000 {
		clear(s.cache)
	}
	s.cache[key] = verified{userID: a.id, hash: a.hash, expires: s.now().Add(credentialTTL)}
	s.mu.Unlock()
	return nil
}

// fail answers an attempt on an unknown login like a wrong password, in
// about the same time (so timing does not tell which logins exist), and
// counts it.
func (s *Service) fail(ctx context.Context, addr, login, password string) error {
	release, err := pwhash.Acquire(ctx, pwhash.QueueWait)
	if err != nil {
		return err
	}
	defer release()
	if err := s.throttle.check(addr, login); err != nil {
		return err
	}
	pwhash.CheckHeld(dummyHash, password)
	s.throttle.Fail(addr, login)
	return ErrBadCredentials
}

// cacheKey identifies a verified password without keeping it.
func cacheKey(userID int64, password string) [32]byte {
	return sha256.Sum256(fmt.Appendf(nil, "%d\x00%s", userID, password))
}

// dummyHash has the parameters of real hashes; made once, at start.
var dummyHash = func() string {
	h, err := pwhash.Hash(context.Background(), "dummy password for timing")
	if err != nil {
		panic(err)
	}
	return h
}()
