package auth

import (
	"context"
	"errors"
	"notreasso/internal/clientip"
	"slices"
	"testing"

	"notreasso/internal/acl"
)

func ptr[T any](v T) *T { return &v }

func TestProfileAndRoles(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	u, err := s.CreateAccount(ctx, 0, NewUser{Login: "marie", Password: "secret-123", Role: acl.Member,
		DisplayName: " Marie Curie ", Email: "marie@example.org", Lang: "fr"})
	if err != nil || u.DisplayName != "Marie Curie" || u.Email != "marie@example.org" || u.Lang != "fr" {
		t.Fatalf("create: %+v %v", u, err)
	}
	bad := []struct {
		name string
		ch   UserChanges
	}{
		{"bad e-mail", UserChanges{Email: ptr("not an address")}},
		{"e-mail with a name", UserChanges{Email: ptr("Marie <marie@example.org>")}},
		{"bad language", UserChanges{Lang: ptr("klingon")}},
		{"bad role", UserChanges{Role: ptr(acl.UserRole("owner"))}},
		{"control character", UserChanges{DisplayName: ptr("a\x07b")}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.UpdateUser(ctx, 0, "marie", tt.ch); !errors.Is(err, ErrInvalid) {
				t.Errorf("accepted: %v", err)
			}
		})
	}
	if u, err = s.UpdateUser(ctx, 0, "marie", UserChanges{Role: ptr(acl.Guest), Email: ptr("")}); err != nil || u.Role != acl.Guest || u.Email != "" {
		t.Fatalf("update: %+v %v", u, err)
	}
	if _, err := s.UpdateUser(ctx, 0, "nobody", UserChanges{}); !errors.Is(err, ErrNoUser) {
		t.Errorf("unknown user: %v", err)
	}
	// The last active administrator stays one.
	if _, err := s.CreateUser(ctx, 0, "root", "secret-123", acl.Admin); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateUser(ctx, 0, "root", UserChanges{Role: ptr(acl.Member)}); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("last admin demoted: %v", err)
	}
	if err := s.SetDisabled(ctx, 0, "root", true); !errors.Is(err, ErrInvalid) {
		t.Errorf("last admin disabled: %v", err)
	}
	if _, err := s.UpdateUser(ctx, 0, "marie", UserChanges{Role: ptr(acl.Admin)}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDisabled(ctx, 0, "root", true); err != nil {
		t.Errorf("admin disabled while another remains: %v", err)
	}
}

func TestGroups(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	u, _ := s.CreateUser(ctx, 0, "paul", "secret-123", acl.Guest)
	if _, err := s.CreateGroup(ctx, 0, " Conseil d'administration "); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateGroup(ctx, 0, "Conseil d'administration"); !errors.Is(err, ErrGroupExists) {
		t.Errorf("duplicate group: %v", err)
	}
	for _, bad := range []string{"", "   ", "a\nb"} {
		if _, err := s.CreateGroup(ctx, 0, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("group %q: %v", bad, err)
		}
	}
	if err := s.AddMember(ctx, 0, "Conseil d'administration", "paul"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(ctx, 0, "Conseil d'administration", "paul"); err != nil {
		t.Errorf("adding twice: %v", err)
	}
	if err := s.AddMember(ctx, 0, "nope", "paul"); !errors.Is(err, ErrNoGroup) {
		t.Errorf("unknown group: %v", err)
	}
	if err := s.AddMember(ctx, 0, "Conseil d'administration", "nobody"); !errors.Is(err, ErrNoUser) {
		t.Errorf("unknown user: %v", err)
	}
	g, err := s.GroupByName(ctx, "Conseil d'administration")
	if err != nil || !slices.Equal(g.Members, []string{"paul"}) {
		t.Fatalf("group: %+v %v", g, err)
	}
	p, _ := s.Principal(ctx, u.ID)
	if !slices.Equal(p.Groups, []int64{g.ID}) {
		t.Errorf("principal groups: %v", p.Groups)
	}
	if err := s.RenameGroup(ctx, 0, "Conseil d'administration", "CA"); err != nil {
		t.Fatal(err)
	}
	// Deleting a group deletes the grants naming it, so a later group
	// reusing its id inherits nothing.
	s.db.W.Exec(`INSERT INTO grants (node_id, principal_kind, principal_id, role, created_at) VALUES (1, 'group', ?, 'viewer', 0)`, g.ID)
	if err := s.DeleteGroup(ctx, 0, "CA"); err != nil {
		t.Fatal(err)
	}
	var n int
	s.db.R.QueryRow(`SELECT count(*) FROM grants WHERE principal_kind = 'group'`).Scan(&n)
	if n != 0 {
		t.Errorf("%d grants left to a deleted group", n)
	}
	s.db.R.QueryRow(`SELECT count(*) FROM journal WHERE action LIKE 'group_%'`).Scan(&n)
	if n != 4 { // add, member add, rename, delete
		t.Errorf("journal has %d group entries, want 4", n)
	}
}

func TestAppPasswords(t *testing.T) {
	ctx := clientip.With(context.Background(), "192.0.2.1")
	s := newService(t)
	u, _ := s.CreateUser(ctx, 0, "marie", "secret-123", acl.Member)
	ap, secret, err := s.CreateAppPassword(ctx, u.ID, u.ID, "Téléphone")
	if err != nil || len(secret) != 35 || ap.ID == 0 {
		t.Fatalf("create: %+v %q %v", ap, secret, err)
	}
	if _, _, err := s.CreateAppPassword(ctx, u.ID, u.ID, " "); !errors.Is(err, ErrInvalid) {
		t.Errorf("unnamed app password: %v", err)
	}
	if p, err := s.Authenticate(ctx, "marie", secret); err != nil || p.UserID != u.ID {
		t.Fatalf("app password refused: %v", err)
	}
	list, _ := s.AppPasswords(ctx, u.ID)
	if len(list) != 1 || list[0].LastUsedAt.IsZero() {
		t.Errorf("list: %+v", list)
	}
	// An app password is not a web login.
	if _, _, err := s.Login(ctx, "marie", secret); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("web login with an app password: %v", err)
	}
	// App passwords only: the account password no longer works over Basic,
	// still does for the web login.
	if _, err := s.UpdateUser(ctx, 0, "marie", UserChanges{AppPasswordsOnly: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "marie", "secret-123"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("account password over Basic: %v", err)
	}
	if _, _, err := s.Login(ctx, "marie", "secret-123"); err != nil {
		t.Errorf("web login: %v", err)
	}
	if _, err := s.Authenticate(ctx, "marie", secret); err != nil {
		t.Errorf("app password: %v", err)
	}
	s.UpdateUser(ctx, 0, "marie", UserChanges{AppPasswordsOnly: ptr(false)})
	s.SetAppPasswordsOnly(true)
	if _, err := s.Authenticate(ctx, "marie", "secret-123"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("account password with the global setting: %v", err)
	}
	s.SetAppPasswordsOnly(false)
	// Revoked: refused at once despite the credential cache.
	if err := s.RevokeAppPassword(ctx, u.ID, u.ID, ap.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "marie", secret); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("revoked app password accepted: %v", err)
	}
	if err := s.RevokeAppPassword(ctx, u.ID, 999, ap.ID); !errors.Is(err, ErrNoAppPassword) {
		t.Errorf("someone else's app password: %v", err)
	}
}

func TestSessionEpoch(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	u, _ := s.CreateUser(ctx, 0, "marie", "secret-123", acl.Member)
	_, epoch, err := s.Login(ctx, "marie", "secret-123")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionPrincipal(ctx, u.ID, epoch); err != nil {
		t.Fatalf("fresh session: %v", err)
	}
	if err := s.LogoutEverywhere(ctx, 0, "marie"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionPrincipal(ctx, u.ID, epoch); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("session survived log out everywhere: %v", err)
	}
	_, epoch, _ = s.Login(ctx, "marie", "secret-123")
	if err := s.ChangeOwnPassword(ctx, u.ID, "wrong-old", "new-secret-456", false); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("password changed without the old one: %v", err)
	}
	if err := s.ChangeOwnPassword(ctx, u.ID, "secret-123", "new-secret-456", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionPrincipal(ctx, u.ID, epoch); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("session survived a password change: %v", err)
	}
}
