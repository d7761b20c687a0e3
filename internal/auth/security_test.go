package auth

import (
	"context"
	"errors"
	"notreasso/internal/clientip"
	"notreasso/internal/pwhash"
	"testing"
	"time"

	"notreasso/internal/acl"
)

// Two nodes share one database, each with its own credential cache: a
// password change or a disabled account made on one is refused by the
// other at once (the cache used to trust a verified password for 30 s).
func TestChangesTakeEffectOnEveryNode(t *testing.T) {
	ctx := clientip.With(context.Background(), "192.0.2.1")
	a := newService(t)
	b := New(a.db, nil) // the second node
	u, _ := a.CreateUser(ctx, 0, "marie", "secret-123", acl.Member)
	_, secret, err := a.CreateAppPassword(ctx, u.ID, u.ID, "Téléphone")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, "marie", "secret-123"); err != nil { // now cached on a
		t.Fatal(err)
	}
	if err := b.SetPassword(ctx, 0, "marie", "new-secret-456"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, "marie", "secret-123"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("old password on the other node: %v", err)
	}
	if _, err := a.Authenticate(ctx, "marie", "new-secret-456"); err != nil {
		t.Fatalf("new password: %v", err)
	}
	if err := b.SetDisabled(ctx, 0, "marie", true); err != nil {
		t.Fatal(err)
	}
	for name, pw := range map[string]string{"account password": "new-secret-456", "app password": secret} {
		if _, err := a.Authenticate(ctx, "marie", pw); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("disabled account, %s, on the other node: %v", name, err)
		}
	}
	b.SetDisabled(ctx, 0, "marie", false)
	// Role changes too: the principal is read fresh, not cached with the password.
	if _, err := a.Authenticate(ctx, "marie", "new-secret-456"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.UpdateUser(ctx, 0, "marie", UserChanges{Role: ptr(acl.Guest)}); err != nil {
		t.Fatal(err)
	}
	if p, err := a.Authenticate(ctx, "marie", "new-secret-456"); err != nil || p.Role != acl.Guest {
		t.Errorf("after demotion on the other node: %v %v", p.Role, err)
	}
}

// App passwords are for devices: never a browser login, never the
// « current password » of a password change; AuthenticateDevice says which
// secret was used.
func TestAppPasswordsAreForDevicesOnly(t *testing.T) {
	ctx := clientip.With(context.Background(), "192.0.2.1")
	s := newService(t)
	u, _ := s.CreateUser(ctx, 0, "marie", "secret-123", acl.Member)
	ap, secret, _ := s.CreateAppPassword(ctx, u.ID, u.ID, "Téléphone")
	d, err := s.AuthenticateDevice(ctx, "marie", secret, "192.0.2.1")
	if err != nil || d.AppPassword != ap.ID || d.UserID != u.ID {
		t.Fatalf("device: %+v %v", d, err)
	}
	if d, err := s.AuthenticateDevice(ctx, "marie", "secret-123", "192.0.2.1"); err != nil || d.AppPassword != 0 {
		t.Fatalf("account password over Basic: %+v %v", d, err)
	}
	if _, _, err := s.Login(ctx, "marie", secret); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("browser login with an app password: %v", err)
	}
	if err := s.ChangeOwnPassword(ctx, u.ID, secret, "taken-over-789", false); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("password changed with an app password as the current one: %v", err)
	}
	// app_passwords_only restricts devices, not the browser.
	s.UpdateUser(ctx, 0, "marie", UserChanges{AppPasswordsOnly: ptr(true)})
	if _, _, err := s.Login(ctx, "marie", "secret-123"); err != nil {
		t.Errorf("browser login of an app-passwords-only account: %v", err)
	}
}

// A password change keeps the account's app passwords unless asked to
// revoke them, in the same change.
func TestChangeOwnPasswordRevokesDevicesOnRequest(t *testing.T) {
	ctx := clientip.With(context.Background(), "192.0.2.1")
	s := newService(t)
	u, _ := s.CreateUser(ctx, 0, "marie", "secret-123", acl.Member)
	_, phone, _ := s.CreateAppPassword(ctx, u.ID, u.ID, "Téléphone")
	if err := s.ChangeOwnPassword(ctx, u.ID, "secret-123", "second-456", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "marie", phone); err != nil {
		t.Errorf("app password after a plain change: %v", err)
	}
	if err := s.ChangeOwnPassword(ctx, u.ID, "second-456", "third-789", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "marie", phone); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("app password after « revoke my devices »: %v", err)
	}
	if list, _ := s.AppPasswords(ctx, u.ID); len(list) != 0 {
		t.Errorf("%d app passwords left", len(list))
	}
}

// Password checks run in a few slots: when all are taken, a check waits
// at most pwhash.QueueWait and then fails with a *pwhash.BusyError (503), and a
// throttled address is refused before it even queues.
func TestHashSlotsBounded(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	c := &clock{t: time.Unix(1e9, 0)}
	s.now = c.now
	if _, err := s.CreateUser(ctx, 0, "marie", "secret-123", acl.Member); err != nil {
		t.Fatal(err)
	}
	defer func(d time.Duration) { pwhash.QueueWait = d }(pwhash.QueueWait)
	pwhash.QueueWait = 50 * time.Millisecond
	for range pwhash.Slots() {
		release, err := pwhash.Acquire(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
	}
	attacker := clientip.With(ctx, "192.0.2.1")
	_, err := s.Authenticate(attacker, "marie", "wrong-password")
	var be *pwhash.BusyError
	if !errors.As(err, &be) || be.Seconds() < 1 {
		t.Fatalf("all slots taken: %v, want a *pwhash.BusyError", err)
	}
	if _, _, err := s.Login(attacker, "nobody", "wrong-password"); !errors.Is(err, pwhash.ErrBusy) {
		t.Errorf("unknown login, all slots taken: %v", err)
	}
	for range ruleAccountIP.free {
		s.throttle.Fail("192.0.2.1", "marie")
	}
	if _, err := s.Authenticate(attacker, "marie", "wrong-password"); !errors.Is(err, ErrThrottled) {
		t.Errorf("throttled address: %v, want ErrThrottled before any hashing", err)
	}
}

// Session rows are keyed by a hash of the id: the id itself, which is the
// cookie, is nowhere in the database.
func TestSessionIDsStoredHashed(t *testing.T) {
	s := newService(t)
	st := NewSessionStorage(s.db)
	const id = "0b7c3f9e-1d2a-4e5b-8c6d-7e8f9a0b1c2d"
	if err := st.Set(id, []byte("data"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Get(id); err != nil || string(got) != "data" {
		t.Fatalf("get: %q %v", got, err)
	}
	var stored string
	s.db.R.QueryRow(`SELECT id FROM sessions`).Scan(&stored)
	if stored == id || stored != sessionKey(id) {
		t.Errorf("stored id %q", stored)
	}
	if got, _ := st.Get(stored); got != nil {
		t.Error("the stored key works as a session id")
	}
	if err := st.Delete(id); err != nil {
		t.Fatal(err)
	}
	var n int
	s.db.R.QueryRow(`SELECT count(*) FROM sessions`).Scan(&n)
	if n != 0 {
		t.Errorf("%d rows after delete", n)
	}
}
