package repo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"notreasso/internal/acl"
)

func mustGrantee(t *testing.T, s string) Grantee {
	t.Helper()
	g, err := ParseGrantee(s)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestParseGrantee(t *testing.T) {
	tests := []struct {
		in   string
		want Grantee
		ok   bool
	}{
		{"user:marie", Grantee{acl.KindUser, "marie"}, true},
		{"marie", Grantee{acl.KindUser, "marie"}, true},
		{"group:Conseil d'administration", Grantee{acl.KindGroup, "Conseil d'administration"}, true},
		{"members", Grantee{Kind: acl.KindMembers}, true},
		{"public", Grantee{Kind: acl.KindPublic}, true},
		{"", Grantee{}, false},
		{"group:", Grantee{}, false},
		{"robot:x", Grantee{}, false},
	}
	for _, tt := range tests {
		got, err := ParseGrantee(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseGrantee(%q) = %+v, %v", tt.in, got, err)
		}
	}
}

func TestGrantsManagedByManagers(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.s.Tree.MkdirAll(ctx, e.admin, "/Partenaires/Public")
	e.s.Tree.MkdirAll(ctx, e.admin, "/Bureau")
	e.put(t, e.admin, "/Partenaires/Public/programme.txt", "fête")
	anon := acl.Principal{}

	// A member (editor through "members") may not grant.
	if _, err := e.s.Access.Grant(ctx, e.member, "/Partenaires", mustGrantee(t, "public"), acl.Viewer); !errors.Is(err, ErrForbidden) {
		t.Errorf("editor granted: %v", err)
	}
	// The admin makes the guest manager of /Partenaires…
	if _, err := e.s.Access.Grant(ctx, e.admin, "/Partenaires", mustGrantee(t, "user:paul"), acl.Manager); err != nil {
		t.Fatal(err)
	}
	// …who may then open a folder to the public, but not touch /Bureau.
	if _, err := e.s.Access.Grant(ctx, e.guest, "/Partenaires/Public", mustGrantee(t, "public"), acl.Viewer); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Access.Grant(ctx, e.guest, "/Bureau", mustGrantee(t, "public"), acl.Viewer); !errors.Is(err, ErrNotFound) {
		t.Errorf("manager elsewhere: %v", err)
	}
	if _, err := e.s.Access.Grant(ctx, e.guest, "/", mustGrantee(t, "public"), acl.Viewer); !errors.Is(err, ErrForbidden) {
		t.Errorf("manager on the root (traversable only): %v", err)
	}
	if _, err := e.s.Access.Grant(ctx, e.admin, "/Bureau", mustGrantee(t, "user:nobody"), acl.Viewer); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
	if got := e.read(t, anon, "/Partenaires/Public/programme.txt", 0); got != "fête" {
		t.Errorf("public read %q", got)
	}
	if _, _, err := e.s.Tree.List(ctx, anon, "/Bureau"); !errors.Is(err, ErrNotFound) {
		t.Errorf("anonymous lists /Bureau: %v", err)
	}

	node, gs, err := e.s.Access.Grants(ctx, e.guest, "/Partenaires/Public")
	if err != nil || node.Path != "/Partenaires/Public" {
		t.Fatal(node, err)
	}
	var lines []string
	for _, g := range gs {
		lines = append(lines, fmt.Sprintf("%s %s %s %v", g.Path, g.Grantee, g.Role, g.Inherited))
	}
	want := "/ members editor true|/Partenaires user:paul manager true|/Partenaires/Public public viewer false"
	if got := strings.Join(lines, "|"); got != want {
		t.Errorf("grants:\n got %s\nwant %s", got, want)
	}
	if _, _, err := e.s.Access.Grants(ctx, e.member, "/Partenaires"); !errors.Is(err, ErrForbidden) {
		t.Errorf("editor lists grants: %v", err)
	}

	// Why can the visitor read the programme? Why can marie edit it?
	ex, err := e.s.Access.Explain(ctx, e.guest, anon, "/Partenaires/Public/programme.txt")
	if err != nil || ex.Role != acl.Viewer || len(ex.Because) != 1 || ex.Because[0].Path != "/Partenaires/Public" {
		t.Errorf("explain anonymous: %+v %v", ex, err)
	}
	ex, err = e.s.Access.Explain(ctx, e.member, e.member, "/Partenaires/Public/programme.txt")
	if err != nil || ex.Role != acl.Editor || len(ex.Because) != 2 || ex.Because[0].Grantee.Kind != acl.KindMembers {
		t.Errorf("explain myself: %+v %v", ex, err)
	}
	if _, err := e.s.Access.Explain(ctx, e.member, e.guest, "/Partenaires"); !errors.Is(err, ErrForbidden) {
		t.Errorf("an editor explains someone else: %v", err)
	}
	if ex, err := e.s.Access.Explain(ctx, e.admin, e.guest, "/"); err != nil || ex.Role != acl.None || !ex.Traverse {
		t.Errorf("explain traversal: %+v %v", ex, err)
	}
	if _, err := e.s.Access.Explain(ctx, e.guest, e.guest, "/Bureau"); !errors.Is(err, ErrNotFound) {
		t.Errorf("explain what I cannot see: %v", err)
	}

	// Changing and revoking.
	if _, err := e.s.Access.Grant(ctx, e.guest, "/Partenaires/Public", mustGrantee(t, "public"), acl.Viewer); err != nil {
		t.Fatal(err) // unchanged: no new journal entry
	}
	if err := e.s.Access.Revoke(ctx, e.guest, "/Partenaires/Public", mustGrantee(t, "public")); err != nil {
		t.Fatal(err)
	}
	if err := e.s.Access.Revoke(ctx, e.guest, "/Partenaires/Public", mustGrantee(t, "public")); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoke twice: %v", err)
	}
	if _, err := e.s.History.Open(ctx, anon, "/Partenaires/Public/programme.txt", 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("anonymous read after revoke: %v", err)
	}
	var n int
	e.s.db.R.QueryRow(`SELECT count(*) FROM journal WHERE action IN ('grant_add', 'grant_remove')`).Scan(&n)
	if n != 3 {
		t.Errorf("%d grant journal entries, want 3", n)
	}
}

// Whoever may not read a node learns nothing from errors: not whether it
// exists, nor what it is, nor what it is called.
func TestHiddenNodesRevealNothing(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.s.Tree.MkdirAll(ctx, e.admin, "/Secret/Dossier")
	e.put(t, e.admin, "/Secret/note.txt", "x")
	e.put(t, e.admin, "/Secret/jeté.txt", "x")
	e.s.Tree.Delete(ctx, e.admin, "/Secret/jeté.txt")
	e.s.Tree.MkdirAll(ctx, e.admin, "/Ouvert")
	e.s.Access.Grant(ctx, e.admin, "/Ouvert", mustGrantee(t, "user:paul"), acl.Editor)
	e.put(t, e.guest, "/Ouvert/mien.txt", "x")
	g := e.guest
	probes := []struct {
		name string
		op   func(path string) error
		real string // exists, hidden
		fake string // does not exist
	}{
		{"stat", func(p string) error { _, err := e.s.Tree.Stat(ctx, g, p); return err }, "/Secret/note.txt", "/Secret/nope.txt"},
		{"stat through a file", func(p string) error { _, err := e.s.Tree.Stat(ctx, g, p); return err }, "/Secret/note.txt/x", "/Secret/nope.txt/x"},
		{"list", func(p string) error { _, _, err := e.s.Tree.List(ctx, g, p); return err }, "/Secret/Dossier", "/Secret/Nope"},
		{"put onto a folder", func(p string) error {
			_, _, err := e.s.Tree.Put(ctx, g, p, strings.NewReader("x"), PutOptions{Size: 1})
			return err
		}, "/Secret/Dossier", "/Secret/Nope"},
		{"mkdir under a file", func(p string) error { _, err := e.s.Tree.Mkdir(ctx, g, p+"/x"); return err }, "/Secret/note.txt", "/Secret/nope.txt"},
		{"move into", func(p string) error {
			_, err := e.s.Tree.Move(ctx, g, "/Ouvert/mien.txt", p+"/mien.txt", false)
			return err
		}, "/Secret/Dossier", "/Secret/Nope"},
		{"copy from", func(p string) error { _, err := e.s.Tree.Copy(ctx, g, p, "/Ouvert/copie", false); return err }, "/Secret/Dossier", "/Secret/Nope"},
		{"versions", func(p string) error { _, _, err := e.s.History.Versions(ctx, g, p); return err }, "/Secret/note.txt", "/Secret/nope.txt"},
		{"restore version", func(p string) error { _, err := e.s.History.RestoreVersion(ctx, g, p, 1); return err }, "/Secret/Dossier", "/Secret/Nope"},
		{"tags", func(p string) error { _, err := e.s.Tree.SetTags(ctx, g, p, []string{"a"}); return err }, "/Secret/note.txt", "/Secret/nope.txt"},
		{"grants", func(p string) error { _, _, err := e.s.Access.Grants(ctx, g, p); return err }, "/Secret", "/Nope"},
		{"share", func(p string) error {
			_, _, err := e.s.Shares.CreateShare(ctx, g, p, ShareOptions{Kind: ShareViewer})
			return err
		}, "/Secret", "/Nope"},
	}
	for _, pr := range probes {
		t.Run(pr.name, func(t *testing.T) {
			e1, e2 := pr.op(pr.real), pr.op(pr.fake)
			if !errors.Is(e1, ErrNotFound) || !errors.Is(e2, ErrNotFound) {
				t.Fatalf("want not found for both: %v / %v", e1, e2)
			}
			m1 := strings.ReplaceAll(e1.Error(), pr.real, "…")
			m2 := strings.ReplaceAll(e2.Error(), pr.fake, "…")
			if m1 != m2 {
				t.Errorf("errors differ:\n %s\n %s", m1, m2)
			}
		})
	}
	// Guessing ids: every id answers the same, naming no node.
	for id := int64(1); id <= 12; id++ {
		if _, err := e.s.Tree.StatID(ctx, acl.Principal{}, id); !errors.Is(err, ErrNotFound) || strings.Contains(err.Error(), "Secret") || strings.Contains(err.Error(), "/") {
			t.Errorf("stat id %d: %v", id, err)
		}
		if _, err := e.s.History.Restore(ctx, g, id, ""); !errors.Is(err, ErrNotFound) || strings.Contains(err.Error(), "Secret") || strings.Contains(err.Error(), "jeté") {
			t.Errorf("restore id %d: %v", id, err)
		}
	}
}
