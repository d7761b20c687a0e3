package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"notreasso/internal/meta"
	"strings"
	"time"
)

// Login flows: a sync app being connected (Nextcloud Login Flow v1 and
// v2, see internal/nextcloud). They live in the database, not in a
// server's memory, so that behind a load balancer the app's polls and the
// person's confirmation in the browser may reach any server. Only digests
// of the two tokens are stored, and no password: the app password is made
// when the confirmed flow is collected — by the app's poll (v2) or by the
// confirmation page itself (v1) — and the flow goes in the same
// transaction, so it is handed over once.

// ErrNoFlow means the login link is unknown, used or expired.
var ErrNoFlow = errors.New("this connection request is unknown or has expired; start again from the app")

// maxFlows bounds the flows waiting at once, against anyone starting
// flows in a loop.
const maxFlows = 1000

// Flow is a sync app waiting to be connected.
type Flow struct {
	App    string // e.g. « Nextcloud (ordinateur) »
	Device string // e.g. « Linux »
	// Redirect: a Login Flow v1 (mobile apps), collected by the
	// confirmation page (TakeFlow) instead of a poll.
	Redirect bool
}

func flowToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

func tokenDigest(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// StartFlow records a flow waiting for ttl and returns its two tokens:
// the login token goes in the browser's address, the poll token to the
// app only.
func (s *Service) StartFlow(ctx context.Context, f Flow, ttl time.Duration) (loginToken, pollToken string, err error) {
	now := s.now()
	loginToken, pollToken = flowToken(), flowToken()
	err = s.tx(ctx, func(tx meta.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_flows WHERE expires_at < ?`, now.Unix()); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_flows`).Scan(&n); err != nil {
			return err
		}
		if n >= maxFlows {
			return errors.New("too many connection requests in progress; try again in a few minutes")
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO login_flows (login_hash, poll_hash, app, device, redirect, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			tokenDigest(loginToken), tokenDigest(pollToken), f.App, f.Device, boolInt(f.Redirect), now.Add(ttl).Unix())
		return err
	})
	if err != nil {
		return "", "", fmt.Errorf("start a login flow: %w", err)
	}
	return loginToken, pollToken, nil
}

// PendingFlow describes a flow waiting for the person's confirmation.
func (s *Service) PendingFlow(ctx context.Context, loginToken string) (Flow, error) {
	var f Flow
	var redirect int64
	err := s.db.R.QueryRowContext(ctx, `SELECT app, device, redirect FROM login_flows
		WHERE login_hash = ? AND user_id IS NULL AND expires_at >= ?`, tokenDigest(loginToken), s.now().Unix()).Scan(&f.App, &f.Device, &redirect)
	f.Redirect = redirect != 0
	if errors.Is(err, sql.ErrNoRows) {
		return Flow{}, ErrNoFlow
	}
	if err != nil {
		return Flow{}, fmt.Errorf("read a login flow: %w", err)
	}
	return f, nil
}

// ApproveFlow records that the account confirmed the flow; its app
// password is made when the flow is collected.
func (s *Service) ApproveFlow(ctx context.Context, loginToken string, userID int64) error {
	res, err := s.db.W.ExecContext(ctx, `UPDATE login_flows SET user_id = ? WHERE login_hash = ? AND user_id IS NULL AND expires_at >= ?`,
		userID, tokenDigest(loginToken), s.now().Unix())
	if err != nil {
		return fmt.Errorf("approve a login flow: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoFlow
	}
	return nil
}

// DenyFlow ends a flow the person refused; the app's polls then fail.
func (s *Service) DenyFlow(ctx context.Context, loginToken string) error {
	_, err := s.db.W.ExecContext(ctx, `DELETE FROM login_flows WHERE login_hash = ?`, tokenDigest(loginToken))
	return err
}

// PollFlow collects a confirmed v2 flow by its poll token: a new app
// password, named by name(app, device), made for the account that
// confirmed. ok is false while the flow waits (or when it is unknown).
func (s *Service) PollFlow(ctx context.Context, pollToken string, name func(Flow) string) (login, secret string, ok bool, err error) {
	return s.collectFlow(ctx, `poll_hash = ? AND redirect = ?`, tokenDigest(pollToken), false, name)
}

// TakeFlow collects a confirmed v1 flow by its login token (the
// confirmation page hands the password to the app's web view).
func (s *Service) TakeFlow(ctx context.Context, loginToken string, name func(Flow) string) (login, secret string, ok bool, err error) {
	return s.collectFlow(ctx, `login_hash = ? AND redirect = ?`, tokenDigest(loginToken), true, name)
}

func (s *Service) collectFlow(ctx context.Context, where, digest string, redirect bool, name func(Flow) string) (login, secret string, ok bool, err error) {
	err = s.tx(ctx, func(tx meta.Tx) error {
		f := Flow{Redirect: redirect}
		var userID int64
		err := tx.QueryRowContext(ctx, `DELETE FROM login_flows WHERE `+where+` AND user_id IS NOT NULL AND expires_at >= ?
			RETURNING app, device, user_id`, digest, boolInt(redirect), s.now().Unix()).Scan(&f.App, &f.Device, &userID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		_, secret, login, err = s.createAppPassword(ctx, tx, userID, userID, name(f))
		ok = err == nil
		return err
	})
	if err != nil {
		return "", "", false, fmt.Errorf("collect a login flow: %w", err)
	}
	return login, secret, ok, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
