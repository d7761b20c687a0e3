package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"notreasso/internal/clientip"
	"notreasso/internal/meta"
	"notreasso/internal/pwhash"
	"strings"
	"unicode"
	"unicode/utf8"

	"notreasso/internal/acl"
)

// ErrLastAdmin refuses to demote or disable the last active administrator
// (it is also an ErrInvalid).
var ErrLastAdmin = fmt.Errorf("%w: at least one active administrator must remain", ErrInvalid)

// NewUser is what an account is created with.
type NewUser struct {
	Login       string
	Password    string
	Role        acl.UserRole
	DisplayName string
	Email       string
	Lang        string
}

// Languages the interface speaks; "" follows the browser.
var languages = []string{"", "fr", "en"}

func checkRole(role acl.UserRole) error {
	switch role {
	case acl.Admin, acl.Member, acl.Guest:
		return nil
	}
	return fmt.Errorf("%w: role %q (want admin, member or guest)", ErrInvalid, role)
}

func checkProfile(display, email, lang string) error {
	if utf8.RuneCountInString(display) > 100 || strings.IndexFunc(display, unicode.IsControl) >= 0 || !utf8.ValidString(display) {
		return fmt.Errorf("%w: a display name has at most 100 characters and no control characters", ErrInvalid)
	}
	if email != "" {
		a, err := mail.ParseAddress(email)
		if err != nil || a.Address != email || len(email) > 254 {
			return fmt.Errorf("%w: %q is not an e-mail address", ErrInvalid, email)
		}
	}
	for _, l := range languages {
		if lang == l {
			return nil
		}
	}
	return fmt.Errorf("%w: language %q (want fr, en or empty)", ErrInvalid, lang)
}

// CreateAccount adds an account. actor is who does it (0 for the system).
func (s *Service) CreateAccount(ctx context.Context, actor int64, u NewUser) (User, error) {
	if !loginRE.MatchString(u.Login) {
		return User{}, fmt.Errorf("%w: a login has 1 to 64 letters, digits, '.', '_', '@' or '-'", ErrInvalid)
	}
	u.DisplayName = strings.TrimSpace(u.DisplayName)
	u.Email = strings.TrimSpace(u.Email)
	if err := checkRole(u.Role); err != nil {
		return User{}, err
	}
	if err := checkProfile(u.DisplayName, u.Email, u.Lang); err != nil {
		return User{}, err
	}
	if len(u.Password) < 8 {
		return User{}, fmt.Errorf("%w: a password has at least 8 characters", ErrInvalid)
	}
	hash, err := pwhash.Hash(ctx, u.Password)
	if err != nil {
		return User{}, err
	}
	err = s.tx(ctx, func(tx meta.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE login = ?`, u.Login).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%q: %w", u.Login, ErrUserExists)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (login, role, password_hash, display_name, email, lang, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, u.Login, string(u.Role), hash, u.DisplayName, u.Email, u.Lang, s.now().UnixNano()); err != nil {
			return fmt.Errorf("create user %s: %w", u.Login, err)
		}
		return s.audit(ctx, tx, actor, "user_add", map[string]any{"login": u.Login, "role": u.Role,
			"display_name": u.DisplayName, "email": u.Email})
	})
	if err != nil {
		return User{}, err
	}
	return s.UserByLogin(ctx, u.Login)
}

// UserChanges lists the fields to change; nil means unchanged.
type UserChanges struct {
	DisplayName      *string
	Email            *string
	Lang             *string
	Role             *acl.UserRole
	Disabled         *bool
	AppPasswordsOnly *bool
}

// UpdateUser changes an account's profile, role or status. The last active
// administrator can be neither demoted nor disabled.
func (s *Service) UpdateUser(ctx context.Context, actor int64, login string, ch UserChanges) (User, error) {
	err := s.tx(ctx, func(tx meta.Tx) error {
		u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE login = ?`, login))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%q: %w", login, ErrNoUser)
		}
		if err != nil {
			return fmt.Errorf("load %s: %w", login, err)
		}
		changed := map[string]any{}
		set := func(field string, old, new any) {
			if old != new {
				changed[field] = new
			}
		}
		next := u
		if ch.DisplayName != nil {
			next.DisplayName = strings.TrimSpace(*ch.DisplayName)
		}
		if ch.Email != nil {
			next.Email = strings.TrimSpace(*ch.Email)
		}
		if ch.Lang != nil {
			next.Lang = *ch.Lang
		}
		if ch.Role != nil {
			next.Role = *ch.Role
		}
		if ch.Disabled != nil {
			next.Disabled = *ch.Disabled
		}
		if ch.AppPasswordsOnly != nil {
			next.AppPasswordsOnly = *ch.AppPasswordsOnly
		}
		if err := checkRole(next.Role); err != nil {
			return err
		}
		if err := checkProfile(next.DisplayName, next.Email, next.Lang); err != nil {
			return err
		}
		set("display_name", u.DisplayName, next.DisplayName)
		set("email", u.Email, next.Email)
		set("lang", u.Lang, next.Lang)
		set("role", u.Role, next.Role)
		set("disabled", u.Disabled, next.Disabled)
		set("app_passwords_only", u.AppPasswordsOnly, next.AppPasswordsOnly)
		if len(changed) == 0 {
			return nil
		}
		if u.Role == acl.Admin && !u.Disabled && (next.Role != acl.Admin || next.Disabled) {
			var others int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id <> ?`, u.ID).Scan(&others); err != nil {
				return err
			}
			if others == 0 {
				return fmt.Errorf("%w: %s is the last active administrator", ErrLastAdmin, login)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET display_name = ?, email = ?, lang = ?, role = ?, disabled = ?, app_passwords_only = ? WHERE id = ?`,
			next.DisplayName, next.Email, next.Lang, string(next.Role), next.Disabled, next.AppPasswordsOnly, u.ID); err != nil {
			return fmt.Errorf("update %s: %w", login, err)
		}
		if next.DisplayName != u.DisplayName && next.DisplayName != "" {
			// The register keeps the name people knew, even if the account goes.
			if _, err := tx.ExecContext(ctx, `UPDATE terms SET holder_name = ? WHERE user_id = ?`, next.DisplayName, u.ID); err != nil {
				return fmt.Errorf("update %s's name in the register: %w", login, err)
			}
		}
		changed["login"] = login
		return s.audit(ctx, tx, actor, "user_update", changed)
	})
	if err != nil {
		return User{}, err
	}
	return s.UserByLogin(ctx, login)
}

// LogoutEverywhere ends every browser session of the account (their epoch
// no longer matches). Devices keep working: the account password over
// Basic until it changes, app passwords until revoked.
func (s *Service) LogoutEverywhere(ctx context.Context, actor int64, login string) error {
	return s.update(ctx, actor, login, "user_logout_all", `UPDATE users SET session_epoch = session_epoch + 1 WHERE login = ?`, login)
}

// UserByID loads an account.
func (s *Service) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.db.R.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %d: %w", id, ErrNoUser)
	}
	return u, err
}

// Epoch is the account's session epoch, stored in each session at login.
func (s *Service) Epoch(ctx context.Context, id int64) (int64, error) {
	var e int64
	err := s.db.R.QueryRowContext(ctx, `SELECT session_epoch FROM users WHERE id = ?`, id).Scan(&e)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("user %d: %w", id, ErrNoUser)
	}
	return e, err
}

// SessionPrincipal is Principal for a browser session started at epoch: a
// session from before "log out everywhere" (or a password change) is
// refused with ErrBadCredentials.
func (s *Service) SessionPrincipal(ctx context.Context, id, epoch int64) (acl.Principal, error) {
	cur, err := s.Epoch(ctx, id)
	if err != nil {
		return acl.Principal{}, err
	}
	if cur != epoch {
		return acl.Principal{}, fmt.Errorf("session ended by a later log-out everywhere: %w", ErrBadCredentials)
	}
	return s.Principal(ctx, id)
}

// Login checks the account password for a browser login and returns the
// principal and the session epoch to store in the session. App passwords
// are for devices and never open a session; app_passwords_only restricts
// devices, not the browser, so it does not apply here. Throttled like
// AuthenticateDevice, per the address recorded in ctx (clientip.With).
func (s *Service) Login(ctx context.Context, login, password string) (acl.Principal, int64, error) {
	addr := clientip.From(ctx)
	if err := s.throttle.check(addr, login); err != nil {
		return acl.Principal{}, 0, err
	}
	a, err := s.account(ctx, login)
	if errors.Is(err, ErrNoUser) {
		return acl.Principal{}, 0, s.fail(ctx, addr, login, password)
	}
	if err != nil {
		return acl.Principal{}, 0, err
	}
	if err := s.checkAccountPassword(ctx, a, password, addr); err != nil {
		return acl.Principal{}, 0, err
	}
	if a.disabled {
		return acl.Principal{}, 0, fmt.Errorf("%s is disabled: %w", login, ErrBadCredentials)
	}
	p, err := s.Principal(ctx, a.id)
	if err != nil {
		return acl.Principal{}, 0, err
	}
	s.throttle.Succeed(addr, login)
	return p, a.epoch, nil
}

// ChangeOwnPassword checks the current account password (never an app
// password) before setting a new one. With revokeDevices, every app
// password of the account is revoked in the same transaction; otherwise
// they keep working, so phones and drives need not be set up again.
func (s *Service) ChangeOwnPassword(ctx context.Context, id int64, old, new string, revokeDevices bool) error {
	u, err := s.UserByID(ctx, id)
	if err != nil {
		return err
	}
	if _, _, err := s.Login(ctx, u.Login, old); err != nil {
		return err
	}
	if len(new) < 8 {
		return fmt.Errorf("%w: a password has at least 8 characters", ErrInvalid)
	}
	hash, err := pwhash.Hash(ctx, new)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx meta.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, session_epoch = session_epoch + 1 WHERE id = ?`, hash, id); err != nil {
			return fmt.Errorf("change the password of %s: %w", u.Login, err)
		}
		details := map[string]any{"login": u.Login}
		if revokeDevices {
			res, err := tx.ExecContext(ctx, `DELETE FROM app_passwords WHERE user_id = ?`, id)
			if err != nil {
				return fmt.Errorf("revoke the app passwords of %s: %w", u.Login, err)
			}
			n, _ := res.RowsAffected()
			details["app_passwords_revoked"] = n
		}
		return s.audit(ctx, tx, id, "user_passwd", details)
	})
}

// PrincipalOf is the account as permission checks see it, even when
// disabled (for "why can X see this?"); User says whether it is.
func (s *Service) PrincipalOf(ctx context.Context, login string) (acl.Principal, User, error) {
	u, err := s.UserByLogin(ctx, login)
	if err != nil {
		return acl.Principal{}, User{}, err
	}
	p := acl.Principal{UserID: u.ID, Login: u.Login, Role: u.Role}
	if err := s.memberships(ctx, &p); err != nil {
		return acl.Principal{}, User{}, err
	}
	return p, u, nil
}
