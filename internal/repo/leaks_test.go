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
	if err := e.s.Revoke(ctx, e.admin, "/", Grantee{Kind: acl.KindMembers}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Grant(ctx, e.admin, "/Shared", Grantee{Kind: acl.KindMembers}, acl.Editor); err != nil {
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
		if _, err := e.s.SetTags(ctx, e.admin, path, tags); err != nil {
			t.Fatal(err)
		}
	}
	got, err := e.s.Tags(ctx, e.member, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != "budget" || got[0].Count != 1 {
		t.Errorf("member's tags: %+v, want only budget ×1", got)
	}
	all, err := e.s.Tags(ctx, e.admin, "")
	if err != nil || len(all) != 2 || all[0].Count != 3 {
		t.Errorf("admin's tags: %+v %v, want budget ×3 and xylophone", all, err)
	}
	if err := e.s.SetTagColor(ctx, e.admin, "xylophone", "#aa0000"); err != nil {
		t.Fatal(err)
	}
	docs, color, err := e.s.TagDocuments(ctx, e.member, "xylophone")
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
		u, _, err := e.s.Usage(ctx, p)
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
	if _, free, _ := e.s.Usage(ctx, e.member); free > 0 && free%(1<<30) != 0 {
		t.Errorf("free space %d is exact, want whole GiB", free)
	}
}

// Errors about items a collection editor may not read name nothing.
func TestCollectionItemErrorsNameNothing(t *testing.T) {
	ctx := context.Background()
	e := secretWorld(t)
	secret, err := e.s.Stat(ctx, e.admin, "/Secret/plan.txt")
	if err != nil {
		t.Fatal(err)
	}
	col, err := e.s.CreateCollection(ctx, e.member, CollectionInput{Title: "Accueil", Members: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range [][]ItemInput{
		{{NodeID: secret.ID}},
		{{NodeID: secret.ParentID}},
		{{Path: "/Shared/notes.txt"}, {NodeID: secret.ID}},
		{{Path: "/Secret/plan.txt/x"}},
	} {
		_, err := e.s.SetCollectionItems(ctx, e.member, col.ID, in)
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%+v: %v, want not found", in, err)
			continue
		}
		if strings.Contains(err.Error(), "Secret") || strings.Contains(err.Error(), "plan") {
			t.Errorf("%+v: the error names the hidden node: %v", in, err)
		}
	}
}
