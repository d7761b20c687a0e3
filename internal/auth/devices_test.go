package auth

import (
	"context"
	"errors"
	"testing"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// TestDeviceChecksRemembered: a sync app's repeated requests are checked
// by reading one row (on SQLite, by reading the stamp), yet a change (an app password revoked, a password
// changed, an account disabled, a group joined), made on this server or
// on another one sharing the database, counts at the next request. A
// wrong secret is never remembered.
func TestDeviceChecksRemembered(t *testing.T) {
	ctx := context.Background()
	open := sharedDatabase(t)
	s, db := open()
	other, _ := open() // a second server on the same database
	u, err := s.CreateUser(ctx, 0, "marie", "secret-123", acl.Member)
	if err != nil {
		t.Fatal(err)
	}
	ap, secret, err := s.CreateAppPassword(ctx, u.ID, u.ID, "portable")
	if err != nil {
		t.Fatal(err)
	}
	const addr = "192.0.2.7"
	if _, err := s.AuthenticateDevice(ctx, "marie", secret, addr); err != nil {
		t.Fatal(err)
	}
	before := db.Statements()
	d, err := s.AuthenticateDevice(ctx, "marie", secret, addr)
	if err != nil || d.AppPassword != ap.ID || d.Login != "marie" {
		t.Fatalf("second check: %+v %v", d, err)
	}
	// On SQLite the stamp says the generation is unchanged: no statement.
	// (Statements counts SQLite's only; PostgreSQL reads the generation.)
	if n := db.Statements() - before; db.Dialect() == meta.SQLite && n != 0 {
		t.Errorf("a repeated check ran %d statements, want 0 (the stamp holds the generation)", n)
	}

	// Joined a group here: the next request has it.
	if _, err := s.CreateGroup(ctx, 0, "Bureau"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(ctx, 0, "Bureau", "marie"); err != nil {
		t.Fatal(err)
	}
	if d, err := s.AuthenticateDevice(ctx, "marie", secret, addr); err != nil || len(d.Groups) != 1 {
		t.Errorf("after joining a group: groups %v, %v", d.Groups, err)
	}

	// Revoked here: refused at once.
	if err := s.RevokeAppPassword(ctx, u.ID, u.ID, ap.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateDevice(ctx, "marie", secret, addr); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("revoked app password on the server that revoked it: %v", err)
	}

	// Revoked by the other server: refused at once too.
	ap2, secret2, err := s.CreateAppPassword(ctx, u.ID, u.ID, "téléphone")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateDevice(ctx, "marie", secret2, addr); err != nil {
		t.Fatal(err)
	}
	if err := other.RevokeAppPassword(ctx, u.ID, u.ID, ap2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateDevice(ctx, "marie", secret2, addr); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("app password revoked by another server: %v", err)
	}

	// The account password: changed or disabled, refused at once.
	if _, err := s.AuthenticateDevice(ctx, "marie", "secret-123", addr); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, 0, "marie", "secret-456"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateDevice(ctx, "marie", "secret-123", addr); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("old password after a change: %v", err)
	}
	if _, err := s.AuthenticateDevice(ctx, "marie", "secret-456", addr); err != nil {
		t.Fatal(err)
	}
	if err := other.SetDisabled(ctx, 0, "marie", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateDevice(ctx, "marie", "secret-456", addr); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("disabled account: %v", err)
	}

	// A wrong secret reaches the database (and the throttle) every time.
	before = db.Statements()
	for range 2 {
		if _, err := s.AuthenticateDevice(ctx, "marie", "not-the-secret", addr); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("wrong secret: %v", err)
		}
	}
	if n := db.Statements() - before; db.Dialect() == meta.SQLite && n < 2 {
		t.Errorf("two wrong secrets ran %d statements: one was remembered", n)
	}
}
