package auth_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
	"notreasso/internal/repo"
	"notreasso/internal/testutil/repotest"
)

// clock is a time the test moves; the repository and the account service
// read the same one, as in the server.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// termEnv is a repository with a restricted « Comptes » folder granted to
// the treasurer role (viewer) and nothing else.
func termEnv(t *testing.T) (*repotest.Env, *clock) {
	t.Helper()
	ctx := context.Background()
	c := &clock{now: day("2026-01-01")}
	e := repotest.New(t, repo.Options{Now: c.Now})
	e.Auth.SetClock(c.Now)
	if _, err := e.Repo.Tree.MkdirAll(ctx, e.Admin, "/Comptes"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Repo.Tree.SetRestricted(ctx, e.Admin, "/Comptes", true); err != nil {
		t.Fatal(err)
	}
	to, err := repo.ParseGrantee("role:treasurer")
	if err != nil {
		t.Fatal(err)
	}
	g, err := e.Repo.Access.Grant(ctx, e.Admin, "/Comptes", to, acl.Viewer)
	if err != nil {
		t.Fatal(err)
	}
	if g.Grantee.Kind != acl.KindRole {
		t.Fatalf("grant: %+v", g)
	}
	return e, c
}

// canRead asks the way a request does: a fresh principal, then the
// repository (stat, the search filter).
func canRead(t *testing.T, e *repotest.Env, login string) bool {
	t.Helper()
	ctx := context.Background()
	p, _, err := e.Auth.PrincipalOf(ctx, login)
	if err != nil {
		t.Fatal(err)
	}
	_, statErr := e.Repo.Tree.Stat(ctx, p, "/Comptes")
	all, roots, _, err := e.Repo.Index.ReadableRoots(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	comptes, _ := e.Repo.Tree.Stat(ctx, e.Admin, "/Comptes")
	inSearch := all || slices.Contains(roots, comptes.ID)
	if (statErr == nil) != inSearch {
		t.Fatalf("%s: stat says %v, the search filter %v", login, statErr, inSearch)
	}
	return statErr == nil
}

func TestTermGivesRightsBetweenItsDates(t *testing.T) {
	ctx := context.Background()
	e, c := termEnv(t)
	term, err := e.Auth.AddTerm(ctx, e.Admin.UserID, auth.TermInput{Office: "Trésorier·e", Login: "marie",
		Start: day("2026-02-01"), End: day("2026-06-14"), Decision: "AG du 31 janvier 2026"})
	if err != nil {
		t.Fatal(err)
	}
	// The successor, elected at the general assembly of 14 June.
	if _, err := e.Auth.AddTerm(ctx, e.Admin.UserID, auth.TermInput{Office: "treasurer", Login: "paul", Start: day("2026-06-14")}); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		at          time.Time
		marie, paul bool
	}{
		{day("2026-01-31").Add(23*time.Hour + 59*time.Minute), false, false}, // not before the start
		{day("2026-02-01"), true, false},
		{day("2026-06-14").Add(-time.Nanosecond), true, false},
		{day("2026-06-14"), false, true}, // at the date, by itself; the successor from that day
		{day("2027-01-01"), false, true},
	} {
		c.Set(step.at)
		if got := canRead(t, e, "marie"); got != step.marie {
			t.Errorf("at %s marie reads Comptes: %v, want %v", step.at, got, step.marie)
		}
		if got := canRead(t, e, "paul"); got != step.paul {
			t.Errorf("at %s paul reads Comptes: %v, want %v", step.at, got, step.paul)
		}
	}
	// The principal says when its rights change next.
	c.Set(day("2026-03-01"))
	p, _, _ := e.Auth.PrincipalOf(ctx, "marie")
	if !p.Until.Equal(day("2026-06-14")) {
		t.Errorf("marie's principal is good until %v", p.Until)
	}
	c.Set(day("2026-01-15"))
	if p, _, _ = e.Auth.PrincipalOf(ctx, "marie"); !p.Until.Equal(day("2026-02-01")) || len(p.Offices) != 0 {
		t.Errorf("before her term: offices %v until %v", p.Offices, p.Until)
	}

	// The register keeps the ended term, with her name, after her account
	// is disabled.
	if _, err := e.Auth.UpdateUser(ctx, 0, "marie", auth.UserChanges{DisplayName: ptr("Marie Curie")}); err != nil {
		t.Fatal(err)
	}
	if err := e.Auth.SetDisabled(ctx, 0, "marie", true); err != nil {
		t.Fatal(err)
	}
	c.Set(day("2027-01-01"))
	// Even if the account row went (no command deletes accounts today;
	// the register must not depend on it), the name stays.
	if _, err := e.DB.W.Exec(`UPDATE terms SET user_id = NULL WHERE user_id = ?`, term.UserID); err != nil {
		t.Fatal(err)
	}
	reg, err := e.Auth.Terms(ctx, auth.TermFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, r := range reg {
		if r.ID == term.ID {
			found = true
			if r.Holder() != "Marie Curie" || r.StateAt(c.Now()) != auth.TermEnded || r.Decision != "AG du 31 janvier 2026" || r.OfficeKey != "treasurer" {
				t.Errorf("register line: %+v", r)
			}
		}
	}
	if !found || len(reg) != 2 {
		t.Errorf("register: %+v", reg)
	}
}

func ptr[T any](v T) *T { return &v }

// A person keeps what their other roles and groups give when a term ends;
// a deleted role takes its grants along and ends its terms, and the
// register still names it.
func TestTermEndKeepsOtherRights(t *testing.T) {
	ctx := context.Background()
	e, c := termEnv(t)
	if _, err := e.Auth.CreateGroup(ctx, 0, "Bureau"); err != nil {
		t.Fatal(err)
	}
	if err := e.Auth.AddMember(ctx, 0, "Bureau", "paul"); err != nil {
		t.Fatal(err)
	}
	to, _ := repo.ParseGrantee("group:Bureau")
	if _, err := e.Repo.Access.Grant(ctx, e.Admin, "/Comptes", to, acl.Viewer); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Auth.AddTerm(ctx, 0, auth.TermInput{Office: "treasurer", Login: "paul", Start: day("2025-01-01"), End: day("2026-03-01")}); err != nil {
		t.Fatal(err)
	}
	c.Set(day("2026-04-01"))
	if !canRead(t, e, "paul") {
		t.Error("paul lost what his group gives when his term ended")
	}
	// Deleting the role: its grants go, open terms end now.
	if _, err := e.Auth.AddTerm(ctx, 0, auth.TermInput{Office: "treasurer", Login: "marie", Start: day("2026-03-01")}); err != nil {
		t.Fatal(err)
	}
	if !canRead(t, e, "marie") {
		t.Fatal("marie, treasurer, cannot read")
	}
	if err := e.Auth.DeleteOffice(ctx, 0, "Trésorier·e"); err != nil {
		t.Fatal(err)
	}
	if canRead(t, e, "marie") {
		t.Error("marie still reads after the role was deleted")
	}
	if _, err := repo.ParseGrantee("role:treasurer"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Auth.OfficeByName(ctx, "treasurer"); !errors.Is(err, auth.ErrNoOffice) {
		t.Errorf("deleted role still found: %v", err)
	}
	reg, _ := e.Auth.Terms(ctx, auth.TermFilter{})
	if len(reg) != 2 || !reg[0].OfficeGone || reg[0].StateAt(c.Now()) != auth.TermEnded {
		t.Errorf("register after the role was deleted: %+v", reg)
	}
}

func TestOffices(t *testing.T) {
	ctx := context.Background()
	e, _ := termEnv(t)
	os, err := e.Auth.Offices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(os) != len(auth.SeededOffices) {
		t.Fatalf("seeded roles: %+v", os)
	}
	for i, o := range os {
		if o.SeedKey != auth.SeededOffices[i].Key || !o.Seeded() {
			t.Errorf("seeded role %d: %+v", i, o)
		}
	}
	o, err := e.Auth.UpdateOffice(ctx, 0, "secretary", "Secrétaire générale", "Tient les registres")
	if err != nil || o.Seeded() || o.Description != "Tient les registres" {
		t.Fatalf("rename: %+v %v", o, err)
	}
	if _, err := e.Auth.CreateOffice(ctx, 0, "Secrétaire générale", ""); !errors.Is(err, auth.ErrOfficeExists) {
		t.Errorf("duplicate name: %v", err)
	}
	for _, bad := range []string{"", "a:b", string(make([]byte, 65))} {
		if _, err := e.Auth.CreateOffice(ctx, 0, bad, ""); !errors.Is(err, auth.ErrInvalid) {
			t.Errorf("create %q: %v", bad, err)
		}
	}
	if _, err := e.Auth.AddTerm(ctx, 0, auth.TermInput{Office: "president", Login: "marie", Start: day("2026-02-01"), End: day("2026-01-01")}); !errors.Is(err, auth.ErrInvalid) {
		t.Errorf("a term ending before it starts: %v", err)
	}
	if _, err := e.Auth.AddTerm(ctx, 0, auth.TermInput{Office: "nobody", Login: "marie", Start: day("2026-02-01")}); !errors.Is(err, auth.ErrNoOffice) {
		t.Errorf("unknown role: %v", err)
	}
}

type notes struct {
	got  []string
	fail error
}

func (n *notes) TermEnding(ctx context.Context, t auth.Term, days int) error {
	if n.fail != nil {
		return n.fail
	}
	n.got = append(n.got, t.Login+":"+t.Office+":"+time.Duration(days).String())
	return nil
}

// The reminder goes out once, within 30 days of the end; a failed hand-over
// is tried again at the next pass.
func TestTermReminders(t *testing.T) {
	ctx := context.Background()
	e, c := termEnv(t)
	if _, err := e.Auth.AddTerm(ctx, 0, auth.TermInput{Office: "treasurer", Login: "marie", Start: day("2026-01-01"), End: day("2026-06-14")}); err != nil {
		t.Fatal(err)
	}
	n := &notes{}
	c.Set(day("2026-05-01"))
	if k, err := e.Auth.RemindTermsEnding(ctx, n); err != nil || k != 0 {
		t.Fatalf("44 days before: %d %v", k, err)
	}
	c.Set(day("2026-05-20"))
	n.fail = errors.New("mail queue down")
	if _, err := e.Auth.RemindTermsEnding(ctx, n); err == nil {
		t.Fatal("a failing notifier went unnoticed")
	}
	n.fail = nil
	if k, err := e.Auth.RemindTermsEnding(ctx, n); err != nil || k != 1 || len(n.got) != 1 || n.got[0] != "marie:Trésorier·e:25ns" {
		t.Fatalf("25 days before: %d %v %v", k, err, n.got)
	}
	if k, err := e.Auth.RemindTermsEnding(ctx, n); err != nil || k != 0 {
		t.Fatalf("again: %d %v", k, err)
	}
	// Extending the term re-arms its reminder.
	ts, _ := e.Auth.Terms(ctx, auth.TermFilter{})
	if _, err := e.Auth.SetTermEnd(ctx, 0, ts[0].ID, day("2026-06-16")); err != nil {
		t.Fatal(err)
	}
	if k, _ := e.Auth.RemindTermsEnding(ctx, n); k != 1 {
		t.Fatalf("after the end moved: %d", k)
	}
}

// A collection meant for a role reaches whoever holds it, for their term.
func TestCollectionForARole(t *testing.T) {
	ctx := context.Background()
	e, c := termEnv(t)
	col, err := e.Repo.Collections.CreateCollection(ctx, e.Admin, repo.CollectionInput{Title: "Clôture des comptes", Roles: []string{"Trésorier·e"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(col.Roles) != 1 || col.Roles[0] != "Trésorier·e" || col.Members {
		t.Fatalf("audience: %+v", col)
	}
	if _, err := e.Auth.AddTerm(ctx, 0, auth.TermInput{Office: "treasurer", Login: "paul", Start: day("2026-02-01"), End: day("2026-06-14")}); err != nil {
		t.Fatal(err)
	}
	sees := func() bool {
		p, _, err := e.Auth.PrincipalOf(ctx, "paul")
		if err != nil {
			t.Fatal(err)
		}
		cs, err := e.Repo.Collections.Collections(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return len(cs) == 1 && cs[0].ID == col.ID
	}
	for _, step := range []struct {
		at   time.Time
		want bool
	}{{day("2026-01-31"), false}, {day("2026-03-01"), true}, {day("2026-06-14"), false}} {
		c.Set(step.at)
		if got := sees(); got != step.want {
			t.Errorf("at %s paul sees the collection: %v, want %v", step.at, got, step.want)
		}
	}
	if _, err := e.Repo.Collections.CreateCollection(ctx, e.Admin, repo.CollectionInput{Title: "x", Roles: []string{"Inconnu"}}); !errors.Is(err, repo.ErrInvalid) {
		t.Errorf("an unknown role in the audience: %v", err)
	}
	// Deleting the role takes it out of the audience.
	if err := e.Auth.DeleteOffice(ctx, 0, "treasurer"); err != nil {
		t.Fatal(err)
	}
	if col, err = e.Repo.Collections.Collection(ctx, e.Admin, col.ID); err != nil || len(col.Roles) != 0 {
		t.Errorf("after the role was deleted: %+v %v", col.Roles, err)
	}
}

// TestDevicePrincipalIsTheSessionOne: Basic authentication (WebDAV, sync
// apps) reads the account, its groups and its terms in one statement; the
// principal must be the one a browser session gets, term dates included.
func TestDevicePrincipalIsTheSessionOne(t *testing.T) {
	ctx := context.Background()
	e, c := termEnv(t)
	for _, g := range []string{"Bureau", "Bénévoles"} {
		if _, err := e.Auth.CreateGroup(ctx, 0, g); err != nil {
			t.Fatal(err)
		}
		if err := e.Auth.AddMember(ctx, 0, g, "marie"); err != nil {
			t.Fatal(err)
		}
	}
	for _, in := range []auth.TermInput{
		{Office: "treasurer", Login: "marie", Start: day("2026-02-01"), End: day("2026-06-14")},
		{Office: "secretary", Login: "marie", Start: day("2026-03-01")},
		{Office: "president", Login: "marie", Start: day("2025-01-01"), End: day("2026-01-10")}, // ended
		{Office: "treasurer", Login: "paul", Start: day("2026-06-14")},
	} {
		if _, err := e.Auth.AddTerm(ctx, e.Admin.UserID, in); err != nil {
			t.Fatal(err)
		}
	}
	for _, at := range []time.Time{day("2026-01-05"), day("2026-01-15"), day("2026-02-15"), day("2026-04-01"), day("2026-07-01")} {
		c.Set(at)
		for _, login := range []string{"marie", "paul", "admin"} {
			want, _, err := e.Auth.PrincipalOf(ctx, login)
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.Auth.AuthenticateDevice(ctx, login, repotest.Password, "192.0.2.1")
			if err != nil {
				t.Fatalf("%s at %s: %v", login, at.Format(time.DateOnly), err)
			}
			slices.Sort(want.Groups)
			slices.Sort(got.Groups)
			slices.Sort(want.Offices)
			slices.Sort(got.Offices)
			if got.UserID != want.UserID || got.Login != want.Login || got.Role != want.Role ||
				!slices.Equal(got.Groups, want.Groups) || !slices.Equal(got.Offices, want.Offices) || !got.Until.Equal(want.Until) {
				t.Errorf("%s at %s: Basic auth gives %+v, a session %+v", login, at.Format(time.DateOnly), got.Principal, want)
			}
		}
	}
	// Marie's groups and offices are really there (the comparison above
	// would pass on two empty principals).
	c.Set(day("2026-04-01"))
	d, err := e.Auth.AuthenticateDevice(ctx, "marie", repotest.Password, "192.0.2.1")
	if err != nil || len(d.Groups) != 2 || len(d.Offices) != 2 || !d.Until.Equal(day("2026-06-14")) {
		t.Errorf("marie on 1 April: groups %v offices %v until %v (%v)", d.Groups, d.Offices, d.Until, err)
	}
	if _, err := e.Auth.AuthenticateDevice(ctx, "nobody", repotest.Password, "192.0.2.1"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("unknown login: %v", err)
	}
}
