package repo

import (
	"context"
	"errors"
	"testing"
	"time"

	"notreasso/internal/acl"
)

// WebDAV state kept by the repository: who may touch it, and that it
// follows (properties) or stays behind (locks) when the tree changes.
func TestDAVPermissions(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.put(t, e.admin, "/a.txt", "a")
	set := PropPatch{Ops: []PropOp{{Prop: DeadProp{Space: "urn:x", Local: "p", XML: []byte("v")}}}}
	lock := Lock{Token: "urn:na:t1", Expires: time.Now().Add(time.Hour)}
	none := func([]Lock) error { return nil }
	tests := []struct {
		name string
		p    acl.Principal
		op   func(p acl.Principal) error
		want error // nil: allowed
	}{
		{"member sets properties", e.member, func(p acl.Principal) error { _, err := e.s.DAV.PatchProps(ctx, p, "/a.txt", set); return err }, nil},
		{"guest may not see the file", e.guest, func(p acl.Principal) error { _, err := e.s.DAV.PatchProps(ctx, p, "/a.txt", set); return err }, ErrNotFound},
		{"guest reads no properties", e.guest, func(p acl.Principal) error { _, _, err := e.s.DAV.DeadProps(ctx, p, "/a.txt"); return err }, ErrNotFound},
		{"guest cannot lock", e.guest, func(p acl.Principal) error { _, err := e.s.DAV.CreateLock(ctx, p, "/a.txt", lock, none); return err }, ErrNotFound},
		{"anonymous cannot list locks", acl.Principal{}, func(p acl.Principal) error { _, err := e.s.DAV.Locks(ctx, p); return err }, ErrForbidden},
		{"anonymous has no usage", acl.Principal{}, func(p acl.Principal) error { _, _, err := e.s.DAV.Usage(ctx, p); return err }, ErrForbidden},
		{"guest cannot copy what it cannot see", e.guest, func(p acl.Principal) error {
			_, err := e.s.DAV.CopyTree(ctx, p, "/a.txt", "/b.txt", CopyOptions{})
			return err
		}, ErrNotFound},
		{"member locks", e.member, func(p acl.Principal) error { _, err := e.s.DAV.CreateLock(ctx, p, "/a.txt", lock, none); return err }, nil},
		{"admin cannot refresh the member's lock", e.admin, func(p acl.Principal) error {
			_, err := e.s.DAV.RefreshLock(ctx, p, "urn:na:t1", time.Now())
			return err
		}, ErrForbidden},
		{"another member cannot unlock it", acl.Principal{UserID: 42, Role: acl.Member}, func(p acl.Principal) error { return e.s.DAV.Unlock(ctx, p, "urn:na:t1") }, ErrForbidden},
		{"an administrator can", e.admin, func(p acl.Principal) error { return e.s.DAV.Unlock(ctx, p, "urn:na:t1") }, nil},
		{"unlocking twice", e.admin, func(p acl.Principal) error { return e.s.DAV.Unlock(ctx, p, "urn:na:t1") }, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.op(tt.p)
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDAVPropsAndLocksFollowTheTree(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := e.member
	e.s.Tree.Mkdir(ctx, u, "/A")
	e.put(t, u, "/A/doc.txt", "x")
	mt := time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC)
	prop := DeadProp{Space: "urn:x", Local: "auteur", Lang: "fr", XML: []byte("Marie")}
	if _, err := e.s.DAV.PatchProps(ctx, u, "/A/doc.txt", PropPatch{Ops: []PropOp{{Prop: prop}}, ModTime: mt}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.DAV.PatchProps(ctx, u, "/A", PropPatch{Ops: []PropOp{{Prop: DeadProp{Space: "urn:x", Local: "dossier", XML: []byte("1")}}}}); err != nil {
		t.Fatal(err)
	}
	n, props, err := e.s.DAV.DeadProps(ctx, u, "/A/doc.txt")
	if err != nil || len(props) != 1 || string(props[0].XML) != "Marie" || props[0].Lang != "fr" || !n.ModTime.Equal(mt) {
		t.Fatalf("props %+v, mtime %v, %v", props, n.ModTime, err)
	}
	_, vs, _ := e.s.History.Versions(ctx, u, "/A/doc.txt")
	if !vs[0].ModTime.Equal(mt) {
		t.Errorf("current version's mtime %v, want %v", vs[0].ModTime, mt)
	}
	// A copy carries the properties of every node; a shallow one only the folder's.
	for _, tt := range []struct {
		dst     string
		shallow bool
		kids    int
	}{{"/B", false, 1}, {"/C", true, 0}} {
		if _, err := e.s.DAV.CopyTree(ctx, u, "/A", tt.dst, CopyOptions{Shallow: tt.shallow}); err != nil {
			t.Fatal(err)
		}
		l, err := e.s.DAV.ListDAV(ctx, u, tt.dst, 1, true)
		if err != nil || len(l.Children) != tt.kids || len(l.Props[l.Node.ID]) != 1 {
			t.Fatalf("%s: %+v %v", tt.dst, l, err)
		}
		if tt.kids > 0 && string(l.Props[l.Children[0].ID][0].XML) != "Marie" {
			t.Errorf("%s: child props %+v", tt.dst, l.Props)
		}
	}
	// Locks stay where they were taken: a move or a delete (by the holder,
	// with the token) ends them.
	for i, change := range []func(ctx context.Context) error{
		func(ctx context.Context) error {
			_, err := e.s.Tree.Move(ctx, u, "/A/doc.txt", "/A/renamed.txt", false)
			return err
		},
		func(ctx context.Context) error { return e.s.Tree.Delete(ctx, u, "/B/doc.txt") },
	} {
		path := []string{"/A/doc.txt", "/B/doc.txt"}[i]
		if _, err := e.s.DAV.CreateLock(ctx, u, path, Lock{Token: path, Expires: time.Now().Add(time.Hour)}, func([]Lock) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if held, _ := e.s.DAV.Locks(ctx, u); len(held) != 1 || held[0].Root != path {
			t.Fatalf("locks before: %+v", held)
		}
		if err := change(ctx); !errors.Is(err, ErrLocked) {
			t.Fatalf("change without the token: %v, want ErrLocked", err)
		}
		if err := change(WithLockTokens(ctx, path)); err != nil {
			t.Fatal(err)
		}
		if held, _ := e.s.DAV.Locks(ctx, u); len(held) != 0 {
			t.Errorf("locks after changing %s: %+v", path, held)
		}
	}
	// Expired locks are not in force; a refused check records nothing.
	e.s.DAV.CreateLock(ctx, u, "/A", Lock{Token: "old", Expires: time.Now().Add(-time.Second)}, func([]Lock) error { return nil })
	refused := errors.New("conflict")
	if _, err := e.s.DAV.CreateLock(ctx, u, "/A", Lock{Token: "new", Expires: time.Now().Add(time.Hour)}, func([]Lock) error { return refused }); !errors.Is(err, refused) {
		t.Errorf("refused lock: %v", err)
	}
	if held, _ := e.s.DAV.Locks(ctx, u); len(held) != 0 {
		t.Errorf("locks in force: %+v", held)
	}
}

func TestIsOSJunk(t *testing.T) {
	for name, want := range map[string]bool{
		"._Statuts.pdf": true, ".DS_Store": true, "Thumbs.db": true, "DESKTOP.INI": true, ".Trashes": true,
		"Statuts.pdf": false, ".gitignore": false, "_notes.txt": false, "desktop.ini.bak": false,
	} {
		if IsOSJunk(name) != want {
			t.Errorf("IsOSJunk(%q) = %v", name, !want)
		}
	}
}
