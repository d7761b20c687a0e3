package repo

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"notreasso/internal/acl"
)

func TestCollectionLifecycle(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	mkdirs(t, e, "/Accueil", "/Bureau")
	a := e.put(t, e.admin, "/Accueil/a.txt", "a")
	e.put(t, e.admin, "/Accueil/b.txt", "b")
	e.put(t, e.admin, "/Bureau/secret.txt", "s")
	if _, err := e.s.Access.Grant(ctx, e.admin, "/Accueil", Grantee{Kind: acl.KindUser, Name: "paul"}, acl.Viewer); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Collections.CreateCollection(ctx, e.guest, CollectionInput{Title: "x", Members: true}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("guest creates a collection: %v", err)
	}
	c, err := e.s.Collections.CreateCollection(ctx, e.member, CollectionInput{Title: "Bienvenue", Description: "**Lisez**", Welcome: true, Members: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err = e.s.Collections.SetCollectionItems(ctx, e.member, c.ID, []ItemInput{
		{Path: "/Accueil/b.txt", Note: "ensuite"}, {Path: "/Accueil/a.txt", Note: "d'abord"}, {Path: "/Bureau/secret.txt"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Items) != 3 || c.Items[0].Node.Path != "/Accueil/b.txt" || c.Items[1].Note != "d'abord" {
		t.Fatalf("items: %+v", c.Items)
	}
	// Reorder by node id; notes are kept when not given again.
	c, err = e.s.Collections.SetCollectionItems(ctx, e.member, c.ID, []ItemInput{{NodeID: a.ID, Note: "d'abord"}, {Path: "/Accueil/b.txt", Note: "ensuite"}, {Path: "/Bureau/secret.txt"}})
	if err != nil || c.Items[0].NodeID != a.ID {
		t.Fatalf("reorder: %v %+v", err, c.Items)
	}
	// Paul (guest) is not in the audience until it includes his group.
	if _, err := e.s.Collections.Collection(ctx, e.guest, c.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("guest sees a members' collection: %v", err)
	}
	if _, err := e.s.db.W.Exec(`INSERT INTO groups (id, name, created_at) VALUES (1, 'nouveaux', 0); INSERT INTO group_members VALUES (1, 3)`); err != nil {
		t.Fatal(err)
	}
	paul := e.guest
	paul.Groups = []int64{1}
	if _, err := e.s.Collections.UpdateCollection(ctx, paul, c.ID, CollectionInput{Title: "y", Members: true}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("outsider edits: %v", err)
	}
	c, err = e.s.Collections.UpdateCollection(ctx, e.member, c.ID, CollectionInput{Title: "Bienvenue", Welcome: true, Members: true, Groups: []string{"nouveaux"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || c.Warnings[0].Path != "/Bureau/secret.txt" || !slices.Equal(c.Warnings[0].Unreadable, []string{"paul"}) {
		t.Fatalf("warnings: %+v", c.Warnings)
	}
	pc, err := e.s.Collections.Collection(ctx, paul, c.ID)
	if err != nil || len(pc.Items) != 2 || pc.Hidden != 1 || pc.Warnings != nil || pc.CanEdit {
		t.Fatalf("paul's view: %v %+v", err, pc)
	}
	// Opening an item marks it; moving it keeps it in the collection.
	if err := e.s.Collections.MarkOpened(ctx, paul, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Tree.Move(ctx, e.admin, "/Accueil/a.txt", "/Accueil/lu.txt", false); err != nil {
		t.Fatal(err)
	}
	// Paul joined after the collection became a welcome one.
	if _, err := e.s.db.W.Exec(`UPDATE users SET created_at = ? WHERE id = 3`, time.Now().Add(time.Hour).UnixNano()); err != nil {
		t.Fatal(err)
	}
	w, err := e.s.Collections.Welcome(ctx, paul)
	if err != nil || w == nil || w.Read != 1 || w.Items[0].Node.Path != "/Accueil/lu.txt" || w.Next().Node.Name != "b.txt" {
		t.Fatalf("welcome: %v %+v", err, w)
	}
	if err := e.s.Collections.MarkRead(ctx, paul, c.ID, w.Items[1].ID, true); err != nil {
		t.Fatal(err)
	}
	if w, _ := e.s.Collections.Welcome(ctx, paul); w != nil {
		t.Fatalf("finished welcome still shown: %+v", w)
	}
	prog, err := e.s.Collections.CollectionProgress(ctx, e.member, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]PersonProgress{}
	for _, pp := range prog {
		got[pp.Login] = pp
	}
	if !got["paul"].Finished || got["paul"].Total != 2 || got["marie"].Read != 0 || got["marie"].Total != 3 {
		t.Fatalf("progress: %+v", prog)
	}
	if _, err := e.s.Collections.CollectionProgress(ctx, paul, c.ID); !errors.Is(err, ErrForbidden) {
		t.Fatalf("audience sees everyone's progress: %v", err)
	}
	// Purging an item's node removes it from collections.
	if err := e.s.Tree.Delete(ctx, e.admin, "/Bureau"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.History.EmptyTrash(ctx, e.admin, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if c, err = e.s.Collections.Collection(ctx, e.admin, c.ID); err != nil || len(c.Items) != 2 {
		t.Fatalf("after purge: %v %+v", err, c.Items)
	}
	if err := e.s.Collections.DeleteCollection(ctx, e.member, c.ID); err != nil {
		t.Fatal(err)
	}
	if cs, _ := e.s.Collections.Collections(ctx, e.admin); len(cs) != 0 {
		t.Fatalf("left: %+v", cs)
	}
}

func TestFeedFiltersByPermission(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	mkdirs(t, e, "/Public", "/Bureau")
	e.put(t, e.admin, "/Public/a.txt", "a")
	e.put(t, e.admin, "/Bureau/secret.txt", "s")
	e.put(t, e.admin, "/Public/a.txt", "a2")
	if _, err := e.s.Access.Grant(ctx, e.admin, "/Public", Grantee{Kind: acl.KindUser, Name: "paul"}, acl.Viewer); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Tree.Move(ctx, e.admin, "/Public/a.txt", "/Public/b.txt", false); err != nil {
		t.Fatal(err)
	}
	_, evs, err := e.s.Activity.Feed(ctx, e.guest, FeedScope{}, 50)
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, ev := range evs {
		if ev.Path == "/Bureau/secret.txt" || ev.Path == "/Bureau" {
			t.Fatalf("guest's feed shows %+v", ev)
		}
		acts = append(acts, ev.Action)
	}
	if !slices.Equal(acts, []string{"move", "version", "create", "mkdir"}) {
		t.Fatalf("actions %v", acts)
	}
	if evs[0].Current != "/Public/b.txt" || evs[0].From != "/Public/a.txt" {
		t.Fatalf("move event %+v", evs[0])
	}
	if _, _, err := e.s.Activity.Feed(ctx, e.guest, FeedScope{Folder: "/Bureau"}, 50); !errors.Is(err, ErrNotFound) {
		t.Fatalf("guest follows a hidden folder: %v", err)
	}
	tok, err := e.s.Activity.RegenerateFeedToken(ctx, e.guest)
	if err != nil {
		t.Fatal(err)
	}
	if uid, err := e.s.Activity.FeedTokenUser(ctx, tok); err != nil || uid != e.guest.UserID {
		t.Fatalf("token user %d %v", uid, err)
	}
	if _, err := e.s.Activity.RegenerateFeedToken(ctx, e.guest); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Activity.FeedTokenUser(ctx, tok); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old token still works: %v", err)
	}
}

func mkdirs(t *testing.T, e *env, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := e.s.Tree.Mkdir(context.Background(), e.admin, p); err != nil {
			t.Fatal(err)
		}
	}
}

// A welcome collection greets only the people who joined after it became
// one, until they dismiss it; marking it again later moves that date.
func TestWelcomeOnlyForNewcomers(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	mkdirs(t, e, "/Accueil")
	e.put(t, e.admin, "/Accueil/a.txt", "a")
	c, err := e.s.Collections.CreateCollection(ctx, e.admin, CollectionInput{Title: "Bienvenue", Welcome: true, Members: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Collections.SetCollectionItems(ctx, e.admin, c.ID, []ItemInput{{Path: "/Accueil/a.txt"}}); err != nil {
		t.Fatal(err)
	}
	if w, err := e.s.Collections.Welcome(ctx, e.member); err != nil || w != nil {
		t.Fatalf("a member who joined before the welcome collection is greeted: %v %+v", err, w)
	}
	joinLater := func() {
		t.Helper()
		if _, err := e.s.db.W.Exec(`UPDATE users SET created_at = ? WHERE id = ?`, time.Now().Add(time.Hour).UnixNano(), e.member.UserID); err != nil {
			t.Fatal(err)
		}
	}
	joinLater()
	if w, err := e.s.Collections.Welcome(ctx, e.member); err != nil || w == nil || w.ID != c.ID {
		t.Fatalf("a newcomer is not greeted: %v %+v", err, w)
	}
	if err := e.s.Collections.DismissWelcome(ctx, e.member, c.ID); err != nil {
		t.Fatal(err)
	}
	if w, err := e.s.Collections.Welcome(ctx, e.member); err != nil || w != nil {
		t.Fatalf("dismissed, still greeted: %v %+v", err, w)
	}
	if err := e.s.Collections.DismissWelcome(ctx, e.guest, c.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("dismissing a collection one cannot see: %v", err)
	}
	// Unmarked then marked again: the date moves to the new marking; an
	// edit that keeps it a welcome collection does not move it.
	since := func() (v int64) {
		t.Helper()
		if err := e.s.db.R.QueryRow(`SELECT welcome_since FROM collections WHERE id = ?`, c.ID).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	first := since()
	if _, err := e.s.Collections.UpdateCollection(ctx, e.admin, c.ID, CollectionInput{Title: "Bienvenue !", Welcome: true, Members: true}); err != nil || since() != first {
		t.Fatalf("an edit moved the welcome date: %v", err)
	}
	if _, err := e.s.Collections.UpdateCollection(ctx, e.admin, c.ID, CollectionInput{Title: "Bienvenue", Members: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Collections.UpdateCollection(ctx, e.admin, c.ID, CollectionInput{Title: "Bienvenue", Welcome: true, Members: true}); err != nil {
		t.Fatal(err)
	}
	if since() <= first {
		t.Fatalf("marked welcome again: since %d, was %d", since(), first)
	}
}
