package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"notreasso/internal/acl"
)

// A new address takes effect only through the link sent to it, once,
// within its lifetime; the address is found again for « mot de passe
// oublié », whatever its case.
func TestEmailChangeLink(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	u, err := s.CreateAccount(ctx, 0, NewUser{Login: "marie", Password: "ancien-mot-de-passe", Role: acl.Member, Email: "marie@old.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.RequestEmailChange(ctx, u.ID, "pas une adresse", EmailLinkTTL); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad address: %v", err)
	}
	token, _, err := s.RequestEmailChange(ctx, u.ID, "Marie@New.example", EmailLinkTTL)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UserByID(ctx, u.ID); got.Email != "marie@old.example" {
		t.Fatalf("the address changed before confirmation: %s", got.Email)
	}
	if p, _ := s.PendingEmail(ctx, u.ID); p != "Marie@New.example" {
		t.Errorf("pending %q", p)
	}
	now = now.Add(EmailLinkTTL)
	if _, err := s.ConfirmEmailChange(ctx, token); !errors.Is(err, ErrEmailLink) {
		t.Errorf("an expired link works: %v", err)
	}
	now = now.Add(-time.Hour)
	got, err := s.ConfirmEmailChange(ctx, token)
	if err != nil || got.Email != "Marie@New.example" {
		t.Fatalf("confirm: %+v %v", got, err)
	}
	if _, err := s.ConfirmEmailChange(ctx, token); !errors.Is(err, ErrEmailLink) {
		t.Errorf("a link used twice: %v", err)
	}
	if us, err := s.UsersByEmail(ctx, " marie@new.EXAMPLE "); err != nil || len(us) != 1 || us[0].Login != "marie" {
		t.Errorf("by address: %+v %v", us, err)
	}
	// An address with an accented capital is found as typed, and with its
	// ASCII letters in another case, on both engines (lower(?) of the
	// parameter folded the É on PostgreSQL alone).
	if _, err := s.CreateAccount(ctx, 0, NewUser{Login: "elodie", Password: "mot-de-passe-elodie", Role: acl.Member, Email: "Élodie@Example.org"}); err != nil {
		t.Fatal(err)
	}
	for _, typed := range []string{"Élodie@Example.org", "ÉLODIE@example.ORG"} {
		if us, err := s.UsersByEmail(ctx, typed); err != nil || len(us) != 1 || us[0].Login != "elodie" {
			t.Errorf("by address %q: %+v %v", typed, us, err)
		}
	}
}
