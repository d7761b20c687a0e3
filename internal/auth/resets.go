package auth

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"notreasso/internal/meta"
	"notreasso/internal/pwhash"
)

// ErrResetLink means a password-reset link is unknown, already used or
// expired. The three are not told apart: the page says the same thing.
var ErrResetLink = errors.New("this password link is unknown, already used or expired")

// ResetLinkTTL is how long a password-reset link works: long enough for a
// volunteer who reads messages once a weekend.
const ResetLinkTTL = 72 * time.Hour

// ResetLink describes a pending link (never its token).
type ResetLink struct {
	CreatedAt time.Time
	CreatedBy string
	ExpiresAt time.Time
}

// CreateResetLink makes a one-time link token for the account, valid for
// ttl; earlier unused links of the account stop working. Only the token's
// SHA-256 is stored: the token is returned once, for the administrator to
// copy.
func (s *Service) CreateResetLink(ctx context.Context, actor int64, login string, ttl time.Duration) (string, time.Time, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", time.Time{}, fmt.Errorf("make reset link: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	now := s.now()
	expires := now.Add(ttl)
	err := s.tx(ctx, func(tx meta.Tx) error {
		var uid int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE login = ?`, login).Scan(&uid); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("%q: %w", login, ErrNoUser)
			}
			return fmt.Errorf("reset link for %s: %w", login, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM password_resets WHERE user_id = ? AND used_at IS NULL`, uid); err != nil {
			return fmt.Errorf("reset link for %s: %w", login, err)
		}
		var by any
		if actor != 0 {
			by = actor
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO password_resets (user_id, hash, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?)`,
			uid, hashSecret(token), now.UnixNano(), by, expires.UnixNano()); err != nil {
			return fmt.Errorf("reset link for %s: %w", login, err)
		}
		return s.audit(ctx, tx, actor, "user_reset_link", map[string]any{"login": login, "expires": expires.UTC().Format(time.RFC3339)})
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return token, expires, nil
}

// PendingResetLink is the account's unused, unexpired link, if any.
func (s *Service) PendingResetLink(ctx context.Context, userID int64) (ResetLink, bool, error) {
	var l ResetLink
	var created, expires int64
	err := s.db.R.QueryRowContext(ctx, `SELECT r.created_at, r.expires_at, COALESCE(u.login, '') FROM password_resets r
		LEFT JOIN users u ON u.id = r.created_by WHERE r.user_id = ? AND r.used_at IS NULL AND r.expires_at > ?
		ORDER BY r.id DESC LIMIT 1`, userID, s.now().UnixNano()).Scan(&created, &expires, &l.CreatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return ResetLink{}, false, nil
	}
	if err != nil {
		return ResetLink{}, false, fmt.Errorf("pending reset link: %w", err)
	}
	l.CreatedAt, l.ExpiresAt = meta.Time(created), meta.Time(expires)
	return l, true, nil
}

// resetTarget finds the account of a usable link.
func (s *Service) resetTarget(ctx context.Context, q queryRower, token string) (id, userID int64, err error) {
	var expires int64
	var used sql.NullInt64
	var disabled bool
	err = q.QueryRowContext(ctx, `SELECT r.id, r.user_id, r.expires_at, r.used_at, u.disabled FROM password_resets r
		JOIN users u ON u.id = r.user_id WHERE r.hash = ?`, hashSecret(token)).Scan(&id, &userID, &expires, &used, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, ErrResetLink
	}
	if err != nil {
		return 0, 0, fmt.Errorf("check reset link: %w", err)
	}
	if used.Valid || !s.now().Before(meta.Time(expires)) || disabled {
		return 0, 0, ErrResetLink
	}
	return id, userID, nil
}

// ResetLinkUser is the account a usable link is for (ErrResetLink if the
// link is unknown, used or expired, or the account is disabled).
func (s *Service) ResetLinkUser(ctx context.Context, token string) (User, error) {
	_, uid, err := s.resetTarget(ctx, s.db.R, token)
	if err != nil {
		return User{}, err
	}
	return s.UserByID(ctx, uid)
}

// UseResetLink sets the account's password through a link and spends the
// link. Every session of the account ends, as with any new password.
func (s *Service) UseResetLink(ctx context.Context, token, password string) (User, error) {
	if len(password) < 8 {
		return User{}, fmt.Errorf("%w: a password has at least 8 characters", ErrInvalid)
	}
	hash, err := pwhash.Hash(ctx, password)
	if err != nil {
		return User{}, err
	}
	var uid int64
	err = s.tx(ctx, func(tx meta.Tx) error {
		id, u, err := s.resetTarget(ctx, tx, token)
		if err != nil {
			return err
		}
		uid = u
		// Spent first, under the write lock: a second use sees used_at.
		if _, err := tx.ExecContext(ctx, `UPDATE password_resets SET used_at = ? WHERE id = ?`, s.now().UnixNano(), id); err != nil {
			return fmt.Errorf("spend reset link: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, session_epoch = session_epoch + 1 WHERE id = ?`, hash, uid); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		var login string
		if err := tx.QueryRowContext(ctx, `SELECT login FROM users WHERE id = ?`, uid).Scan(&login); err != nil {
			return err
		}
		return s.audit(ctx, tx, uid, "user_reset_done", map[string]any{"login": login})
	})
	// The new hash alone ends cached Basic credentials (see SetPassword).
	if err != nil {
		return User{}, err
	}
	return s.UserByID(ctx, uid)
}
