package auth

import (
	"context"
	"errors"
	"log/slog"
	"notreasso/internal/pwhash"
	"notreasso/internal/testutil/testdb"
	"testing"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// sharedDatabase returns a function opening another server's account
// service on one database (a fresh one per test), with that database.
func sharedDatabase(t *testing.T) func() (*Service, *meta.DB) {
	t.Helper()
	dsn := testdb.DSN(t, t.TempDir())
	return func() (*Service, *meta.DB) {
		db, err := meta.Open(context.Background(), dsn, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return New(db, slog.New(slog.DiscardHandler)), db
	}
}

func newService(t *testing.T) *Service {
	t.Helper()
	db, err := meta.Open(context.Background(), testdb.DSN(t, t.TempDir()), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return New(db, slog.New(slog.DiscardHandler))
}

func TestPasswordHash(t *testing.T) {
	h, err := pwhash.Hash(context.Background(), "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := pwhash.Hash(context.Background(), "correct horse")
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	for pw, want := range map[string]bool{"correct horse": true, "correct horsE": false, "": false} {
		if ok, err := pwhash.Check(context.Background(), h, pw); ok != want || err != nil {
			t.Errorf("pwhash.Check(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
}

func TestAccounts(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	if _, err := s.CreateUser(ctx, 0, "marie", "secret-123", acl.Member); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, 0, "marie", "secret-123", acl.Member); !errors.Is(err, ErrUserExists) {
		t.Errorf("duplicate login: %v", err)
	}
	for _, bad := range []string{"", "../x", "a b", "é"} {
		if _, err := s.CreateUser(ctx, 0, bad, "secret-123", acl.Member); !errors.Is(err, ErrInvalid) {
			t.Errorf("login %q: %v", bad, err)
		}
	}
	if _, err := s.CreateUser(ctx, 0, "short", "1234", acl.Member); !errors.Is(err, ErrInvalid) {
		t.Errorf("short password accepted: %v", err)
	}
	p, err := s.Authenticate(ctx, "marie", "secret-123")
	if err != nil || p.Login != "marie" || p.Role != acl.Member {
		t.Fatalf("authenticate: %+v %v", p, err)
	}
	if _, err := s.Authenticate(ctx, "marie", "wrong"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := s.Authenticate(ctx, "nobody", "secret-123"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("unknown user: %v", err)
	}
	// A new password takes effect at once, despite the credential cache.
	if err := s.SetPassword(ctx, 0, "marie", "new-secret-456"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "marie", "secret-123"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("old password still accepted: %v", err)
	}
	if err := s.SetDisabled(ctx, 0, "marie", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "marie", "new-secret-456"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("disabled account accepted: %v", err)
	}
	var n int
	s.db.R.QueryRow(`SELECT count(*) FROM journal WHERE action LIKE 'user_%'`).Scan(&n)
	if n != 3 {
		t.Errorf("journal has %d account entries, want 3", n)
	}
}

// TestMain gives password checks a generous wait for a hashing slot: on a
// loaded machine a hash can take seconds, and a test that meets the
// server's 3 s limit (pwhash.QueueWait) would fail with ErrBusy for a
// reason that is not its own. TestHashSlotsBounded sets its own wait.
func TestMain(m *testing.M) {
	pwhash.QueueWait = 2 * time.Minute
	testdb.Main(m)
}
