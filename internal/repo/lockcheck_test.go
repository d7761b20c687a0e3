package repo

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"notreasso/internal/acl"
)

// Every write through the repository — whichever door calls it — is
// refused while someone else's lock protects what it touches, and allowed
// to the lock's holder with its token.
func TestEveryWriteHonoursLocks(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.s.db.W.Exec(`UPDATE users SET display_name = 'Marie Curie' WHERE id = ?`, e.member.UserID); err != nil {
		t.Fatal(err)
	}
	other := e.addUser(t, "jean", acl.Member)
	until := time.Now().Add(time.Hour).Truncate(time.Second)
	setup := func(t *testing.T) {
		t.Helper()
		e.s.db.W.Exec(`DELETE FROM dav_locks`)
		for _, p := range []string{"/L", "/L/sous", "/Dossier", "/Autre"} {
			if _, err := e.s.Tree.MkdirAll(ctx, e.admin, p); err != nil {
				t.Fatal(err)
			}
		}
		e.put(t, e.admin, "/L/doc.txt", "v1")
		e.put(t, e.admin, "/L/doc.txt", "v2")
		e.put(t, e.admin, "/Dossier/fichier.txt", "f")
		e.put(t, e.admin, "/Autre/source.txt", "s")
		for _, l := range []Lock{
			{Token: "urn:na:file", Expires: until, Root: "/L/doc.txt"},
			{Token: "urn:na:dir", Expires: until, Root: "/Dossier", Infinite: true},
		} {
			if _, err := e.s.DAV.CreateLock(ctx, e.member, l.Root, l, func([]Lock) error { return nil }); err != nil {
				t.Fatal(err)
			}
		}
	}
	writes := []struct {
		name  string
		token string
		do    func(ctx context.Context, p acl.Principal) error
	}{
		{"overwrite", "urn:na:file", func(ctx context.Context, p acl.Principal) error {
			_, _, err := e.s.Tree.Put(ctx, p, "/L/doc.txt", strings.NewReader("v3"), PutOptions{Size: 2})
			return err
		}},
		{"copy onto", "urn:na:file", func(ctx context.Context, p acl.Principal) error {
			_, err := e.s.Tree.Copy(ctx, p, "/Autre/source.txt", "/L/doc.txt", true)
			return err
		}},
		{"restore a version", "urn:na:file", func(ctx context.Context, p acl.Principal) error {
			_, err := e.s.History.RestoreVersion(ctx, p, "/L/doc.txt", 1)
			return err
		}},
		{"set properties", "urn:na:file", func(ctx context.Context, p acl.Principal) error {
			_, err := e.s.DAV.PatchProps(ctx, p, "/L/doc.txt", PropPatch{Ops: []PropOp{{Prop: DeadProp{Space: "urn:x", Local: "p", XML: []byte("v")}}}})
			return err
		}},
		{"rename", "urn:na:file", func(ctx context.Context, p acl.Principal) error {
			_, err := e.s.Tree.Move(ctx, p, "/L/doc.txt", "/L/renommé.txt", false)
			return err
		}},
		{"move away", "urn:na:file", func(ctx context.Context, p acl.Principal) error {
			_, err := e.s.Tree.Move(ctx, p, "/L/doc.txt", "/Autre/doc.txt", false)
			return err
		}},
		{"move onto", "urn:na:file", func(ctx context.Context, p acl.Principal) error {
			_, err := e.s.Tree.Move(ctx, p, "/Autre/source.txt", "/L/doc.txt", true)
			return err
		}},
		{"delete", "urn:na:file", func(ctx context.Context, p acl.Principal) error { return e.s.Tree.Delete(ctx, p, "/L/doc.txt") }},
		{"delete the folder holding it", "urn:na:file", func(ctx context.Context, p acl.Principal) error { return e.s.Tree.Delete(ctx, p, "/L") }},
		{"move the folder holding it", "urn:na:file", func(ctx context.Context, p acl.Principal) error {
			_, err := e.s.Tree.Move(ctx, p, "/L", "/Autre/L", false)
			return err
		}},
		{"upload into a locked folder", "urn:na:dir", func(ctx context.Context, p acl.Principal) error {
			_, _, err := e.s.Tree.Put(ctx, p, "/Dossier/nouveau.txt", strings.NewReader("n"), PutOptions{Size: 1})
			return err
		}},
		{"mkdir in a locked folder", "urn:na:dir", func(ctx context.Context, p acl.Principal) error {
			_, err := e.s.Tree.Mkdir(ctx, p, "/Dossier/sous")
			return err
		}},
		{"copy into a locked folder", "urn:na:dir", func(ctx context.Context, p acl.Principal) error {
			_, err := e.s.Tree.Copy(ctx, p, "/Autre/source.txt", "/Dossier/copie.txt", false)
			return err
		}},
		{"delete a locked folder", "urn:na:dir", func(ctx context.Context, p acl.Principal) error { return e.s.Tree.Delete(ctx, p, "/Dossier") }},
		{"overwrite inside a locked folder", "urn:na:dir", func(ctx context.Context, p acl.Principal) error {
			_, _, err := e.s.Tree.Put(ctx, p, "/Dossier/fichier.txt", strings.NewReader("g"), PutOptions{Size: 1})
			return err
		}},
		{"restore from the trash into a locked folder", "urn:na:dir", func(ctx context.Context, p acl.Principal) error {
			var id int64
			e.s.db.R.QueryRow(`SELECT id FROM nodes WHERE name = 'jeté.txt'`).Scan(&id)
			_, err := e.s.History.Restore(ctx, p, id, "/Dossier/jeté.txt")
			return err
		}},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			setup(t)
			e.s.db.W.Exec(`DELETE FROM nodes WHERE name = 'jeté.txt'`)
			e.put(t, e.admin, "/Autre/jeté.txt", "j")
			if err := e.s.Tree.Delete(WithLockTokens(ctx, "urn:na:dir"), e.admin, "/Autre/jeté.txt"); err != nil {
				t.Fatal(err)
			}
			for _, p := range []acl.Principal{other, e.admin} {
				err := w.do(WithLockTokens(ctx, "urn:na:wrong"), p)
				var le *LockedError
				if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
					t.Fatalf("%s without the token: %v, want ErrLocked", p.Login, err)
				}
				if le.Holder != "Marie Curie" || !le.Until.Equal(until) || !strings.Contains(err.Error(), "Marie Curie") {
					t.Errorf("%s: the refusal says %+v (%v)", p.Login, le, err)
				}
			}
			// Someone else's token is no key either.
			if err := w.do(WithLockTokens(ctx, w.token), other); !errors.Is(err, ErrLocked) {
				t.Errorf("another member with the holder's token: %v", err)
			}
			if err := w.do(WithLockTokens(ctx, w.token), e.member); err != nil {
				t.Errorf("the holder with the token: %v", err)
			}
		})
	}
	// CheckWrite answers the same before any body is read.
	setup(t)
	if err := e.s.Tree.CheckWrite(ctx, other, nil, LockScope{Path: "/L/doc.txt"}); !errors.Is(err, ErrLocked) {
		t.Errorf("CheckWrite: %v", err)
	}
	if err := e.s.Tree.CheckWrite(ctx, e.member, []string{"urn:na:file"}, LockScope{Path: "/L/doc.txt"}); err != nil {
		t.Errorf("CheckWrite with the token: %v", err)
	}
	doc, _ := e.s.Tree.Stat(ctx, e.admin, "/L/doc.txt")
	if err := e.s.Tree.CheckWriteNode(ctx, other, doc.ID, nil); !errors.Is(err, ErrLocked) {
		t.Errorf("CheckWriteNode: %v", err)
	}
	if err := e.s.Tree.CheckWriteNode(ctx, e.member, doc.ID, []string{"urn:na:file"}); err != nil {
		t.Errorf("CheckWriteNode with the token: %v", err)
	}
	if err := e.s.Tree.CheckWriteNode(ctx, e.guest, doc.ID, nil); !errors.Is(err, ErrNotFound) || strings.Contains(err.Error(), "doc") {
		t.Errorf("CheckWriteNode by a guest: %v", err)
	}
	if err := e.s.Tree.CheckPut(ctx, other, "/L/doc.txt", 2); !errors.Is(err, ErrLocked) {
		t.Errorf("CheckPut: %v", err)
	}
}

// A lock can be broken by its holder, an administrator, or a manager of
// the locked document; not by another editor.
func TestBreakingLocks(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	mkdirs(t, e, "/Asso")
	e.put(t, e.admin, "/Asso/doc.txt", "x")
	jean := e.addUser(t, "jean", acl.Member)
	lise := e.addUser(t, "lise", acl.Member)
	if _, err := e.s.Access.Grant(ctx, e.admin, "/Asso", Grantee{Kind: acl.KindUser, Name: "lise"}, acl.Manager); err != nil {
		t.Fatal(err)
	}
	lock := func() {
		t.Helper()
		if _, err := e.s.DAV.CreateLock(ctx, e.member, "/Asso/doc.txt", Lock{Token: "urn:na:t", Expires: time.Now().Add(time.Hour)}, func([]Lock) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	lock()
	if err := e.s.DAV.Unlock(ctx, jean, "urn:na:t"); !errors.Is(err, ErrForbidden) {
		t.Errorf("another editor breaks the lock: %v", err)
	}
	ls, err := e.s.DAV.LocksOn(ctx, jean, "/Asso/doc.txt")
	if err != nil || len(ls) != 1 || ls[0].CanBreak || ls[0].Mine || ls[0].Holder != "marie" {
		t.Errorf("jean's view of the lock: %+v %v", ls, err)
	}
	ls, err = e.s.DAV.LocksOn(ctx, lise, "/Asso/doc.txt")
	if err != nil || len(ls) != 1 || !ls[0].CanBreak {
		t.Errorf("the manager's view of the lock: %+v %v", ls, err)
	}
	if err := e.s.DAV.Unlock(ctx, lise, "urn:na:t"); err != nil {
		t.Errorf("the folder's manager breaks the lock: %v", err)
	}
	lock()
	if err := e.s.DAV.Unlock(ctx, e.admin, "urn:na:t"); err != nil {
		t.Errorf("an administrator breaks the lock: %v", err)
	}
	lock()
	if err := e.s.DAV.Unlock(ctx, e.member, "urn:na:t"); err != nil {
		t.Errorf("the holder unlocks: %v", err)
	}
	evs, err := e.s.Activity.Activity(ctx, lise, FeedScope{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	breaks := 0
	for _, ev := range evs {
		if ev.Action == "lock_break" {
			breaks++
		}
	}
	if breaks != 2 {
		t.Errorf("%d lock breaks in the manager's activity, want 2", breaks)
	}
	if ls, err := e.s.DAV.LocksOn(ctx, e.guest, "/Asso/doc.txt"); !errors.Is(err, ErrNotFound) || ls != nil {
		t.Errorf("a guest asks about locks on what they cannot read: %+v %v", ls, err)
	}
}
