package repo

import (
	"context"
	"errors"
	"testing"
	"time"

	"notreasso/internal/acl"
)

// The audit log filters by who, and by when on the service's clock.
func TestJournalFilters(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	clk := e.withClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	e.s.Tree.Mkdir(ctx, e.admin, "/A")
	clk.set(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
	e.put(t, e.member, "/A/x.txt", "x")
	clk.set(time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC))
	e.put(t, e.admin, "/A/y.txt", "y")
	count := func(q JournalQuery) int {
		t.Helper()
		es, err := e.s.Activity.Journal(ctx, e.admin, q)
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}
	if n := count(JournalQuery{Actor: "marie"}); n != 1 {
		t.Errorf("marie's entries: %d, want 1", n)
	}
	if n := count(JournalQuery{Actor: "nobody"}); n != 0 {
		t.Errorf("an unknown person's entries: %d", n)
	}
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	if n := count(JournalQuery{Since: day, Until: day.AddDate(0, 0, 1)}); n != 1 {
		t.Errorf("entries of 2 March: %d, want 1", n)
	}
	if n := count(JournalQuery{Since: day, Actor: "admin"}); n != 1 {
		t.Errorf("admin's entries since 2 March: %d, want 1", n)
	}
	if _, err := e.s.Activity.Journal(ctx, e.member, JournalQuery{}); !errors.Is(err, ErrForbidden) {
		t.Errorf("a member reads the journal: %v", err)
	}
}

// A group's grants, by path, without those in the trash; admins only.
func TestGrantsTo(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.s.db.W.Exec(`INSERT INTO groups (id, name, created_at) VALUES (1, 'Bureau', 0)`); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/Bureau", "/Archives", "/Archives/Vieux"} {
		e.s.Tree.MkdirAll(ctx, e.admin, p)
	}
	bureau := mustGrantee(t, "group:Bureau")
	e.s.Access.Grant(ctx, e.admin, "/Bureau", bureau, acl.Editor)
	e.s.Access.Grant(ctx, e.admin, "/Archives/Vieux", bureau, acl.Viewer)
	e.s.Access.Grant(ctx, e.admin, "/Archives", mustGrantee(t, "user:marie"), acl.Viewer)
	gs, err := e.s.Access.GrantsTo(ctx, e.admin, bureau)
	if err != nil || len(gs) != 2 || gs[0].Path != "/Archives/Vieux" || gs[0].Role != acl.Viewer || gs[1].Path != "/Bureau" || gs[1].Role != acl.Editor {
		t.Fatalf("grants to Bureau: %+v %v", gs, err)
	}
	if err := e.s.Tree.Delete(ctx, e.admin, "/Archives"); err != nil {
		t.Fatal(err)
	}
	if gs, _ := e.s.Access.GrantsTo(ctx, e.admin, bureau); len(gs) != 1 || gs[0].Path != "/Bureau" {
		t.Errorf("after trashing /Archives: %+v", gs)
	}
	if _, err := e.s.Access.GrantsTo(ctx, e.member, bureau); !errors.Is(err, ErrForbidden) {
		t.Errorf("a member lists a group's folders: %v", err)
	}
	if _, err := e.s.Access.GrantsTo(ctx, e.admin, mustGrantee(t, "group:Nope")); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown group: %v", err)
	}
}

// Pinned or labelled older versions below a folder, newest first; never
// the current version, never a file in the trash.
func TestKeptVersions(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	clk := e.withClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	e.s.Tree.MkdirAll(ctx, e.admin, "/Statuts/Anciens")
	for i, p := range []string{"/Statuts/statuts.txt", "/Statuts/statuts.txt", "/Statuts/Anciens/v1.txt", "/Statuts/Anciens/v1.txt", "/Statuts/jeté.txt", "/Statuts/jeté.txt"} {
		clk.set(clk.now().Add(time.Hour))
		e.put(t, e.admin, p, p+string(rune('a'+i)))
	}
	e.s.History.LabelVersion(ctx, e.admin, "/Statuts/statuts.txt", 1, "déposée", false)
	e.s.History.LabelVersion(ctx, e.admin, "/Statuts/statuts.txt", 2, "", true) // current: not listed
	e.s.History.LabelVersion(ctx, e.admin, "/Statuts/Anciens/v1.txt", 1, "", true)
	e.s.History.LabelVersion(ctx, e.admin, "/Statuts/jeté.txt", 1, "", true)
	e.s.Tree.Delete(ctx, e.admin, "/Statuts/jeté.txt")
	kept, err := e.s.History.KeptVersions(ctx, e.member, "/Statuts", 10)
	if err != nil || len(kept) != 2 || kept[0].Path != "/Statuts/Anciens/v1.txt" || !kept[0].Pinned ||
		kept[1].Path != "/Statuts/statuts.txt" || kept[1].Label != "déposée" || kept[1].Number != 1 {
		t.Fatalf("kept versions: %+v %v", kept, err)
	}
	if kept, _ := e.s.History.KeptVersions(ctx, e.member, "/Statuts", 1); len(kept) != 1 {
		t.Errorf("limit 1: %d", len(kept))
	}
	if _, err := e.s.History.KeptVersions(ctx, e.guest, "/Statuts", 10); !errors.Is(err, ErrNotFound) {
		t.Errorf("a guest without grants: %v", err)
	}
}
