package repo

import (
	"context"
	"errors"
	"strings"
	"testing"

	"notreasso/internal/acl"
)

// secretWorld: members may edit /Shared only (the root's grant to members
// is revoked), /Secret is the administrators'.
func secretWorld(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	e := newEnv(t)
	mkdirs(t, e, "/Shared", "/Secret")
	if err := e.s.Access.Revoke(ctx, e.admin, "/", Grantee{Kind: acl.KindMembers}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Access.Grant(ctx, e.admin, "/Shared", Grantee{Kind: acl.KindMembers}, acl.Editor); err != nil {
		t.Fatal(err)
	}
	e.put(t, e.admin, "/Secret/plan.txt", "plan secret")
	e.put(t, e.admin, "/Shared/notes.txt", "notes")
	return e
}

// Tags used only on unreadable files are not listed, and unreadable files
// are not counted.
func TestTagsCountOnlyReadable(t *testing.T) {
	ctx := context.Background()
	e := secretWorld(t)
	e.put(t, e.admin, "/Secret/b.txt", "b")
	for path, tags := range map[string][]string{
		"/Secret/plan.txt":  {"xylophone", "budget"},
		"/Secret/b.txt":     {"budget"},
		"/Shared/notes.txt": {"budget"},
	} {
		if _, err := e.s.Tree.SetTags(ctx, e.admin, path, tags); err != nil {
			t.Fatal(err)
		}
	}
	got, err := e.s.Tags.Tags(ctx, e.member, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != "budget" || got[0].Count != 1 {
		t.Errorf("member's tags: %+v, want only budget ×1", got)
	}
	all, err := e.s.Tags.Tags(ctx, e.admin, "")
	if err != nil || len(all) != 2 || all[0].Count != 3 {
		t.Errorf("admin's tags: %+v %v, want budget ×3 and xylophone", all, err)
	}
	if err := e.s.Tags.SetTagColor(ctx, e.admin, "xylophone", "#aa0000"); err != nil {
		t.Fatal(err)
	}
	docs, color, err := e.s.Tags.TagDocuments(ctx, e.member, "xylophone")
	if err != nil || len(docs) != 0 || color != "" {
		t.Errorf("member's page of a hidden tag: %v %+v colour %q", err, docs, color)
	}
}

// The quota a user sees moves by the same amount whether what they upload
// already exists somewhere or not: no dedupe oracle.
func TestUsageIsNoDedupeOracle(t *testing.T) {
	ctx := context.Background()
	e := secretWorld(t)
	used := func(p acl.Principal) int64 {
		t.Helper()
		u, _, err := e.s.DAV.Usage(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	before := used(e.member)
	e.put(t, e.member, "/Shared/guess.txt", "plan secret") // the hidden file's exact bytes
	known := used(e.member) - before
	before = used(e.member)
	e.put(t, e.member, "/Shared/other.txt", "plan inconn") // new bytes, same length
	unknown := used(e.member) - before
	if known != unknown || known != int64(len("plan secret")) {
		t.Errorf("usage grew by %d for existing content and %d for new content, want %d both", known, unknown, len("plan secret"))
	}
	admin := used(e.admin)
	e.put(t, e.member, "/Shared/more.txt", "encore")
	if used(e.admin) != admin {
		t.Error("the admin's usage moved with the member's upload")
	}
	if _, free, _ := e.s.DAV.Usage(ctx, e.member); free > 0 && free%(64<<20) != 0 {
		t.Errorf("free space %d is exact, want whole units", free)
	}
	for in, want := range map[int64]int64{-1: -1, 0: 0, 100 << 20: 64 << 20, 5<<30 + 12345: 5 << 30, 3<<30 + 100<<20: 3<<30 + 64<<20} {
		if got := roundFree(in); got != want {
			t.Errorf("roundFree(%d) = %d, want %d", in, got, want)
		}
	}
}

// Errors about items a collection editor may not read name nothing.
func TestCollectionItemErrorsNameNothing(t *testing.T) {
	ctx := context.Background()
	e := secretWorld(t)
	secret, err := e.s.Tree.Stat(ctx, e.admin, "/Secret/plan.txt")
	if err != nil {
		t.Fatal(err)
	}
	col, err := e.s.Collections.CreateCollection(ctx, e.member, CollectionInput{Title: "Accueil", Members: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range [][]ItemInput{
		{{NodeID: secret.ID}},
		{{NodeID: secret.ParentID}},
		{{Path: "/Shared/notes.txt"}, {NodeID: secret.ID}},
		{{Path: "/Secret/plan.txt/x"}},
	} {
		_, err := e.s.Collections.SetCollectionItems(ctx, e.member, col.ID, in)
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%+v: %v, want not found", in, err)
			continue
		}
		if strings.Contains(err.Error(), "Secret") || strings.Contains(err.Error(), "plan") {
			t.Errorf("%+v: the error names the hidden node: %v", in, err)
		}
	}
}

// The activity (page and API: one reader) never names a place the reader
// may not read: a move or copy out of /Secret says it came from a hidden
// folder, older entries give the path now, and administration of a folder
// (grants, links) is shown to its managers only.
func TestActivityNamesNoHiddenPlace(t *testing.T) {
	ctx := context.Background()
	e := secretWorld(t)
	e.put(t, e.admin, "/Secret/xylo-codename.txt", "x")
	if _, err := e.s.Tree.Move(ctx, e.admin, "/Secret/xylo-codename.txt", "/Shared/codename.txt", false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Tree.Copy(ctx, e.admin, "/Secret/plan.txt", "/Shared/plan-copie.txt", false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Access.Grant(ctx, e.admin, "/Shared", Grantee{Kind: acl.KindUser, Name: "paul"}, acl.Viewer); err != nil {
		t.Fatal(err)
	}
	for _, who := range []struct {
		name string
		p    acl.Principal
	}{{"member", e.member}, {"guest", e.guest}} {
		for _, sc := range []FeedScope{{}, {Folder: "/Shared"}} {
			evs, err := e.s.Activity.Activity(ctx, who.p, sc, 100)
			if err != nil {
				t.Fatal(err)
			}
			var moved, copied bool
			for _, ev := range evs {
				if strings.Contains(ev.Path+ev.From, "Secret") || strings.Contains(ev.Path+ev.From, "xylo") {
					t.Errorf("%s %+v: entry names the hidden folder: %+v", who.name, sc, ev)
				}
				if strings.HasPrefix(ev.Action, "grant") {
					t.Errorf("%s %+v: sees a grant on a folder they do not manage: %+v", who.name, sc, ev)
				}
				switch ev.Action {
				case "move":
					moved = ev.FromHidden && ev.Path == "/Shared/codename.txt" && ev.MessageID() == "act.move_hidden"
				case "copy":
					copied = ev.FromHidden && ev.Path == "/Shared/plan-copie.txt"
				}
			}
			if !moved || !copied {
				t.Errorf("%s %+v: move shown %v, copy shown %v (from a hidden folder): %+v", who.name, sc, moved, copied, evs)
			}
		}
	}
	evs, err := e.s.Activity.Activity(ctx, e.admin, FeedScope{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var grants int
	for _, ev := range evs {
		if ev.Action == "grant_add" {
			grants++
		}
		if ev.Action == "move" && (ev.FromHidden || ev.From != "/Secret/xylo-codename.txt") {
			t.Errorf("admin's move entry: %+v", ev)
		}
	}
	if grants != 2 {
		t.Errorf("admin sees %d grant entries, want 2", grants)
	}
}

// A folder's manager may open it to visitors for reading, not for writing:
// only administrators may give `public` the editor or manager role.
func TestPublicEditorIsForAdmins(t *testing.T) {
	ctx := context.Background()
	e := secretWorld(t)
	if _, err := e.s.Access.Grant(ctx, e.admin, "/Shared", Grantee{Kind: acl.KindUser, Name: "marie"}, acl.Manager); err != nil {
		t.Fatal(err)
	}
	public := Grantee{Kind: acl.KindPublic}
	for _, role := range []acl.Role{acl.Editor, acl.Manager} {
		_, err := e.s.Access.Grant(ctx, e.member, "/Shared", public, role)
		if !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "administrator") {
			t.Errorf("manager gives public %v: %v, want a refusal saying administrators may", role, err)
		}
	}
	if _, err := e.s.Access.Grant(ctx, e.member, "/Shared", public, acl.Viewer); err != nil {
		t.Errorf("manager gives public viewer: %v", err)
	}
	if _, err := e.s.Access.Grant(ctx, e.admin, "/Shared", public, acl.Editor); err != nil {
		t.Errorf("admin gives public editor: %v", err)
	}
	var role string
	e.s.db.R.QueryRow(`SELECT role FROM grants WHERE principal_kind = 'public'`).Scan(&role)
	if role != "editor" {
		t.Errorf("public's role %q", role)
	}
}

// readableSet (many nodes at once) answers as mayRead (one node) does,
// for every kind of person: lists filtered in batches show the same as
// pages checked one by one.
func TestReadableSetMatchesMayRead(t *testing.T) {
	ctx := context.Background()
	e := secretWorld(t)
	mkdirs(t, e, "/Shared/Sous", "/Secret/Partagé")
	e.put(t, e.admin, "/Secret/Partagé/x.txt", "x")
	e.put(t, e.admin, "/Shared/Sous/y.txt", "y")
	if _, err := e.s.Access.Grant(ctx, e.admin, "/Secret/Partagé", Grantee{Kind: acl.KindUser, Name: "paul"}, acl.Viewer); err != nil {
		t.Fatal(err)
	}
	if err := e.s.Tree.Delete(ctx, e.admin, "/Shared/Sous/y.txt"); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	rows, _ := e.s.db.R.Query(`SELECT id FROM nodes`)
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	ids = append(ids, 9999) // no such node
	for _, p := range []acl.Principal{e.admin, e.member, e.guest, {}} {
		set, err := e.s.readableSet(ctx, p, ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			one, err := e.s.mayRead(ctx, e.s.db.R, p, id)
			if err != nil {
				t.Fatal(err)
			}
			if set[id] != one {
				t.Errorf("%s, node %d: readableSet %v, mayRead %v", p.Login, id, set[id], one)
			}
		}
	}
}
