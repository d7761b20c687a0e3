package auth

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"notreasso/internal/meta"
)

// ErrEmailLink means an address-confirmation link is unknown, used or
// expired (not told apart, as for password links).
var ErrEmailLink = errors.New("this confirmation link is unknown, already used or expired")

// EmailLinkTTL is how long an address-confirmation link works.
const EmailLinkTTL = 72 * time.Hour

// RequestEmailChange records that the account wants to use a new address
// and returns the one-time token of the link to send there. The address
// changes only when the link is opened (ConfirmEmailChange): a typo or
// someone else's address never becomes the account's.
func (s *Service) RequestEmailChange(ctx context.Context, userID int64, email string, ttl time.Duration) (string, time.Time, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", time.Time{}, fmt.Errorf("%w: no address", ErrInvalid)
	}
	if err := checkProfile("", email, ""); err != nil {
		return "", time.Time{}, err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", time.Time{}, fmt.Errorf("make address link: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	now := s.now()
	expires := now.Add(ttl)
	err := s.tx(ctx, func(tx meta.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM email_changes WHERE user_id = ? AND used_at IS NULL`, userID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO email_changes (user_id, email, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			userID, email, hashSecret(token), now.UnixNano(), expires.UnixNano())
		return err
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("address change of user %d: %w", userID, err)
	}
	return token, expires, nil
}

// PendingEmail is the address waiting for confirmation ("" for none).
func (s *Service) PendingEmail(ctx context.Context, userID int64) (string, error) {
	var email string
	err := s.db.R.QueryRowContext(ctx, `SELECT email FROM email_changes WHERE user_id = ? AND used_at IS NULL AND expires_at > ?
		ORDER BY id DESC LIMIT 1`, userID, s.now().UnixNano()).Scan(&email)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("pending address: %w", err)
	}
	return email, nil
}

// EmailLink returns the account and new address of a usable link.
func (s *Service) EmailLink(ctx context.Context, token string) (User, string, error) {
	_, uid, email, err := s.emailTarget(ctx, s.db.R, token)
	if err != nil {
		return User{}, "", err
	}
	u, err := s.UserByID(ctx, uid)
	return u, email, err
}

func (s *Service) emailTarget(ctx context.Context, q queryRower, token string) (id, uid int64, email string, err error) {
	var expires int64
	var used sql.NullInt64
	var disabled bool
	err = q.QueryRowContext(ctx, `SELECT c.id, c.user_id, c.email, c.expires_at, c.used_at, u.disabled FROM email_changes c
		JOIN users u ON u.id = c.user_id WHERE c.hash = ?`, hashSecret(token)).Scan(&id, &uid, &email, &expires, &used, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, "", ErrEmailLink
	}
	if err != nil {
		return 0, 0, "", fmt.Errorf("check address link: %w", err)
	}
	if used.Valid || !s.now().Before(meta.Time(expires)) || disabled {
		return 0, 0, "", ErrEmailLink
	}
	return id, uid, email, nil
}

// ConfirmEmailChange spends the link and sets the account's address.
func (s *Service) ConfirmEmailChange(ctx context.Context, token string) (User, error) {
	var uid int64
	err := s.tx(ctx, func(tx meta.Tx) error {
		id, u, email, err := s.emailTarget(ctx, tx, token)
		if err != nil {
			return err
		}
		uid = u
		if _, err := tx.ExecContext(ctx, `UPDATE email_changes SET used_at = ? WHERE id = ?`, s.now().UnixNano(), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email = ? WHERE id = ?`, email, uid); err != nil {
			return err
		}
		var login string
		if err := tx.QueryRowContext(ctx, `SELECT login FROM users WHERE id = ?`, uid).Scan(&login); err != nil {
			return err
		}
		return s.audit(ctx, tx, uid, "user_update", map[string]any{"login": login, "email": email})
	})
	if err != nil {
		return User{}, err
	}
	return s.UserByID(ctx, uid)
}

// UsersByEmail finds the active account with this address (case-insensitive),
// for « Mot de passe oublié ? ». Several accounts may share an address:
// all are returned.
func (s *Service) UsersByEmail(ctx context.Context, email string) ([]User, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE lower(email) = ? AND email <> '' AND disabled = 0`, meta.Lower(strings.TrimSpace(email)))
	if err != nil {
		return nil, fmt.Errorf("accounts by address: %w", err)
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
