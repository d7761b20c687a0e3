package repo

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"notreasso/internal/acl"
)

// A folder's ETag moves with every change anywhere below it, and with
// nothing else; ids stay the same across moves (sync clients rely on both).
func TestFolderETagPropagates(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	a := e.admin
	for _, d := range []string{"/A", "/A/B", "/A/B/C", "/D"} {
		if _, err := e.s.Tree.Mkdir(ctx, a, d); err != nil {
			t.Fatal(err)
		}
	}
	f := e.put(t, a, "/A/B/C/note.txt", "un")
	etags := func() map[string]string {
		out := map[string]string{}
		for _, p := range []string{"/", "/A", "/A/B", "/A/B/C", "/D"} {
			n, err := e.s.Tree.Stat(ctx, a, p)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			out[p] = n.ETag()
		}
		// A listing's children carry the same ETags as Stat gives them
		// (a client learns them from its parent's PROPFIND).
		for _, dir := range []string{"/", "/A", "/A/B", "/D"} {
			l, err := e.s.DAV.ListDAV(ctx, a, dir, 1, false)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range l.Children {
				if want, ok := out[k.Path]; ok && k.ETag() != want {
					t.Errorf("%s listed with ETag %s, Stat says %s", k.Path, k.ETag(), want)
				}
			}
		}
		return out
	}
	check := func(what string, before map[string]string, changed ...string) map[string]string {
		t.Helper()
		after := etags()
		for p, tag := range before {
			if _, ok := after[p]; !ok {
				continue
			}
			want := false
			for _, c := range changed {
				want = want || c == p
			}
			if got := after[p] != tag; got != want {
				t.Errorf("%s: ETag of %s changed=%v, want %v", what, p, got, want)
			}
		}
		return after
	}
	s0 := etags()
	s1 := check("nothing", s0)
	e.put(t, a, "/A/B/C/note.txt", "deux")
	s2 := check("edit deep", s1, "/", "/A", "/A/B", "/A/B/C")
	if _, err := e.s.Tree.Move(ctx, a, "/A/B/C", "/D/C", false); err != nil {
		t.Fatal(err)
	}
	s3 := check("move", s2, "/", "/A", "/A/B", "/D")
	moved, err := e.s.Tree.Stat(ctx, a, "/D/C/note.txt")
	if err != nil || moved.ID != f.ID {
		t.Fatalf("moved file: %v, id %d want %d", err, moved.ID, f.ID)
	}
	if err := e.s.Tree.Delete(ctx, a, "/D/C/note.txt"); err != nil {
		t.Fatal(err)
	}
	check("delete", s3, "/", "/D")
	// A refused change moves nothing.
	s4 := etags()
	_, _, err = e.s.Tree.Put(ctx, e.guest, "/A/x.txt", bytes.NewReader([]byte("x")), PutOptions{Size: 1})
	if err == nil || !(errors.Is(err, ErrForbidden) || errors.Is(err, ErrNotFound)) {
		t.Fatalf("guest put: %v", err)
	}
	check("refused", s4)
	if !strings.HasPrefix(s4["/"], "d") {
		t.Errorf("folder ETag %q", s4["/"])
	}
}

// A listing gives a child the role of its own grant when that is higher
// than what its folder gives (sync clients read it as permissions).
func TestListingChildOwnGrant(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for _, d := range []string{"/Lecture", "/Lecture/Travail"} {
		if _, err := e.s.Tree.Mkdir(ctx, e.admin, d); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.s.Access.Grant(ctx, e.admin, "/Lecture", Grantee{Kind: "user", Name: "paul"}, acl.Viewer); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Access.Grant(ctx, e.admin, "/Lecture/Travail", Grantee{Kind: "user", Name: "paul"}, acl.Editor); err != nil {
		t.Fatal(err)
	}
	l, err := e.s.DAV.ListDAV(ctx, e.guest, "/Lecture", 1, false)
	if err != nil {
		t.Fatal(err)
	}
	if l.Node.Role != acl.Viewer || len(l.Children) != 1 || l.Children[0].Role != acl.Editor {
		t.Fatalf("listing of /Lecture for paul: %v, children %+v", l.Node.Role, l.Children)
	}
}
