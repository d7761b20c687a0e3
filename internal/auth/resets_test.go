package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"notreasso/internal/acl"
)

// A reset link sets the password once, within its lifetime, and ends the
// account's sessions; only its hash is stored.
func TestResetLink(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	if _, err := s.CreateUser(ctx, 0, "marie", "ancien-mot-de-passe", acl.Member); err != nil {
		t.Fatal(err)
	}
	epoch := func() int64 {
		u, _ := s.UserByLogin(ctx, "marie")
		e, _ := s.Epoch(ctx, u.ID)
		return e
	}
	before := epoch()
	first, _, err := s.CreateResetLink(ctx, 0, "marie", ResetLinkTTL)
	if err != nil {
		t.Fatal(err)
	}
	token, exp, err := s.CreateResetLink(ctx, 0, "marie", ResetLinkTTL)
	if err != nil || !exp.Equal(now.Add(72*time.Hour)) {
		t.Fatalf("link: %v %v", exp, err)
	}
	var stored int
	s.db.R.QueryRowContext(ctx, `SELECT count(*) FROM password_resets WHERE hash = ?`, token).Scan(&stored)
	if stored != 0 {
		t.Error("the token itself is stored")
	}
	if _, err := s.ResetLinkUser(ctx, first); !errors.Is(err, ErrResetLink) {
		t.Errorf("an earlier link still works after a new one: %v", err)
	}
	if u, err := s.ResetLinkUser(ctx, token); err != nil || u.Login != "marie" {
		t.Fatalf("link user: %+v %v", u, err)
	}
	if _, err := s.UseResetLink(ctx, token, "court"); !errors.Is(err, ErrInvalid) {
		t.Errorf("short password: %v", err)
	}
	if _, err := s.UseResetLink(ctx, token, "nouveau-mot-de-passe"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Login(ctx, "marie", "nouveau-mot-de-passe"); err != nil {
		t.Errorf("new password refused: %v", err)
	}
	if epoch() == before {
		t.Error("sessions survive a reset")
	}
	if _, err := s.UseResetLink(ctx, token, "troisieme-mot-de-passe"); !errors.Is(err, ErrResetLink) {
		t.Errorf("a link used twice: %v", err)
	}
	// Expiry, measured on the service's clock.
	late, _, _ := s.CreateResetLink(ctx, 0, "marie", ResetLinkTTL)
	if _, ok, _ := s.PendingResetLink(ctx, 1); !ok {
		t.Error("no pending link shown")
	}
	now = now.Add(ResetLinkTTL)
	if _, err := s.UseResetLink(ctx, late, "quatrieme-mot-de-passe"); !errors.Is(err, ErrResetLink) {
		t.Errorf("an expired link: %v", err)
	}
	// A disabled account cannot be taken back through a link.
	now = now.Add(time.Hour)
	dis, _, _ := s.CreateResetLink(ctx, 0, "marie", ResetLinkTTL)
	if err := s.SetDisabled(ctx, 0, "marie", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UseResetLink(ctx, dis, "cinquieme-mot-de-passe"); !errors.Is(err, ErrResetLink) {
		t.Errorf("a disabled account's link: %v", err)
	}
	if _, err := s.ResetLinkUser(ctx, "nope"); !errors.Is(err, ErrResetLink) {
		t.Errorf("unknown token: %v", err)
	}
}
