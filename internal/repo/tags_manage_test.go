package repo

import (
	"context"
	"errors"
	"testing"

	"notreasso/internal/acl"
)

func TestTagPageRenameMergeColor(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	mkdirs(t, e, "/Public", "/Bureau")
	e.put(t, e.admin, "/Public/a.txt", "a")
	e.put(t, e.admin, "/Bureau/b.txt", "b")
	if _, err := e.s.Access.Grant(ctx, e.admin, "/Public", Grantee{Kind: acl.KindUser, Name: "paul"}, acl.Viewer); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/Public/a.txt", "/Bureau/b.txt"} {
		if _, err := e.s.Tree.SetTags(ctx, e.admin, p, []string{"AG"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.s.Tree.SetTags(ctx, e.admin, "/Bureau/b.txt", []string{"ag", "budget"}); err != nil {
		t.Fatal(err)
	}
	docs, _, err := e.s.Tags.TagDocuments(ctx, e.guest, "ag")
	if err != nil || len(docs) != 1 || docs[0].Path != "/Public/a.txt" {
		t.Fatalf("guest's tag page: %v %+v", err, docs)
	}
	if err := e.s.Tags.SetTagColor(ctx, e.member, "ag", "#ff0000"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("member colours a tag: %v", err)
	}
	if err := e.s.Tags.SetTagColor(ctx, e.admin, "ag", "red"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad colour: %v", err)
	}
	if err := e.s.Tags.SetTagColor(ctx, e.admin, "ag", "#ff0000"); err != nil {
		t.Fatal(err)
	}
	if err := e.s.Tags.RenameTag(ctx, e.admin, "ag", "assemblée"); err != nil {
		t.Fatal(err)
	}
	docs, color, _ := e.s.Tags.TagDocuments(ctx, e.admin, "assemblée")
	if len(docs) != 2 || color != "#ff0000" {
		t.Fatalf("after rename: %q %+v", color, docs)
	}
	// Merge: b.txt already has both.
	if err := e.s.Tags.RenameTag(ctx, e.admin, "budget", "assemblée"); err != nil {
		t.Fatal(err)
	}
	n, _ := e.s.Tree.Stat(ctx, e.admin, "/Bureau/b.txt")
	if len(n.Tags) != 1 || n.Tags[0] != "assemblée" {
		t.Fatalf("after merge: %v", n.Tags)
	}
	if ts, _ := e.s.Tags.Tags(ctx, e.admin, ""); len(ts) != 1 || ts[0].Count != 2 {
		t.Fatalf("tags: %+v", ts)
	}
	if err := e.s.Tags.RenameTag(ctx, e.admin, "nope", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rename missing: %v", err)
	}
}
