package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"notreasso/internal/errkind"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"notreasso/internal/meta"
)

// ErrNoAppPassword means no such app password for that account.
var ErrNoAppPassword = errkind.New(errkind.NotFound, "no such app password")

// AppPassword is a per-device password for WebDAV and API clients. The
// secret itself is shown once, at creation, and stored as a SHA-256: it is
// random (150 bits), so a slow hash would add nothing but latency.
type AppPassword struct {
	ID         int64
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero if never used
}

// lastUsedGranularity limits writes: a WebDAV client authenticating every
// few seconds updates last_used_at at most once a minute.
const lastUsedGranularity = time.Minute

// appAlphabet has 32 characters without look-alikes (no l, o, 0, 1), so
// each random byte's low 5 bits pick one without bias.
const appAlphabet = "abcdefghijkmnpqrstuvwxyz23456789"

// newAppSecret returns 30 random characters in groups of five, easy to
// type on a phone: "k7m2q-…".
func newAppSecret() (string, error) {
	b := make([]byte, 30)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate app password: %w", err)
	}
	var sb strings.Builder
	for i, c := range b {
		if i > 0 && i%5 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(appAlphabet[c&31])
	}
	return sb.String(), nil
}

func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// CreateAppPassword adds a named app password to the account and returns
// the secret, which is not kept and cannot be shown again.
func (s *Service) CreateAppPassword(ctx context.Context, actor, userID int64, name string) (AppPassword, string, error) {
	var ap AppPassword
	var secret string
	err := s.tx(ctx, func(tx meta.Tx) error {
		var err error
		ap, secret, _, err = s.createAppPassword(ctx, tx, actor, userID, name)
		return err
	})
	if err != nil {
		return AppPassword{}, "", err
	}
	return ap, secret, nil
}

// createAppPassword is CreateAppPassword inside tx; it also returns the
// account's login.
func (s *Service) createAppPassword(ctx context.Context, tx meta.Tx, actor, userID int64, name string) (AppPassword, string, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return AppPassword{}, "", "", fmt.Errorf("%w: name the device (1 to 100 characters)", ErrInvalid)
	}
	secret, err := newAppSecret()
	if err != nil {
		return AppPassword{}, "", "", err
	}
	ap := AppPassword{Name: name, CreatedAt: s.now().UTC()}
	var login string
	if err := tx.QueryRowContext(ctx, `SELECT login FROM users WHERE id = ?`, userID).Scan(&login); err != nil {
		return AppPassword{}, "", "", fmt.Errorf("user %d: %w", userID, ErrNoUser)
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO app_passwords (user_id, name, hash, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		userID, name, hashSecret(secret), ap.CreatedAt.UnixNano()).Scan(&ap.ID); err != nil {
		return AppPassword{}, "", "", fmt.Errorf("create app password: %w", err)
	}
	if err := s.audit(ctx, tx, actor, "app_password_add", map[string]any{"login": login, "name": name, "id": ap.ID}); err != nil {
		return AppPassword{}, "", "", err
	}
	return ap, secret, login, nil
}

// AppPasswords lists the account's app passwords, newest first.
func (s *Service) AppPasswords(ctx context.Context, userID int64) ([]AppPassword, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, name, created_at, last_used_at FROM app_passwords WHERE user_id = ? ORDER BY id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("list app passwords: %w", err)
	}
	defer rows.Close()
	out := []AppPassword{}
	for rows.Next() {
		var ap AppPassword
		var created int64
		var used sql.NullInt64
		if err := rows.Scan(&ap.ID, &ap.Name, &created, &used); err != nil {
			return nil, fmt.Errorf("list app passwords: %w", err)
		}
		ap.CreatedAt, ap.LastUsedAt = meta.Time(created), meta.NullTime(used)
		out = append(out, ap)
	}
	return out, rows.Err()
}

// RevokeAppPassword deletes one of the account's app passwords; clients
// using it are refused from the next request on.
func (s *Service) RevokeAppPassword(ctx context.Context, actor, userID, id int64) error {
	err := s.tx(ctx, func(tx meta.Tx) error {
		var name, login string
		err := tx.QueryRowContext(ctx, `SELECT a.name, u.login FROM app_passwords a JOIN users u ON u.id = a.user_id
			WHERE a.id = ? AND a.user_id = ?`, id, userID).Scan(&name, &login)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("app password %d: %w", id, ErrNoAppPassword)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM app_passwords WHERE id = ?`, id); err != nil {
			return fmt.Errorf("revoke app password: %w", err)
		}
		return s.audit(ctx, tx, actor, "app_password_revoke", map[string]any{"login": login, "name": name, "id": id})
	})
	return err
}

// checkAppPassword returns the id of the user's app password that
// password is (0 if none), and notes its use. It reads the database every
// time, so a revocation takes effect at once on every node.
func (s *Service) checkAppPassword(ctx context.Context, userID int64, password string) (int64, error) {
	if len(password) != 35 { // the format newAppSecret produces
		return 0, nil
	}
	var id int64
	err := s.db.R.QueryRowContext(ctx, `SELECT id FROM app_passwords WHERE user_id = ? AND hash = ?`, userID, hashSecret(password)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("check app password: %w", err)
	}
	now := s.now()
	if _, err := s.db.W.ExecContext(ctx, `UPDATE app_passwords SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
		now.UnixNano(), id, now.Add(-lastUsedGranularity).UnixNano()); err != nil {
		s.log.Warn("note app password use", "err", err)
	}
	return id, nil
}
