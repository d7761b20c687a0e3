package repo

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/testutil/testdb"
)

func TestExtractionRecord(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	n := e.put(t, e.admin, "/big.txt", "du texte")
	if _, ok, err := e.s.Index.GetExtraction(ctx, n.Hash); ok || err != nil {
		t.Fatalf("before extraction: ok=%v err=%v", ok, err)
	}
	want := Extraction{Blob: n.Hash, Status: "ok", Lang: "fr", Chars: 10 << 20, Extractor: "text", Truncated: true, Attempts: 1,
		Title: "PV de l'AG", Date: time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC), Props: true}
	if err := e.s.Index.PutExtraction(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := e.s.Index.GetExtraction(ctx, n.Hash)
	if !ok || err != nil || got != want {
		t.Fatalf("got %+v (%v, %v), want %+v", got, ok, err, want)
	}
	// A new result replaces the old one, flag included, and counts the attempt.
	want.Status, want.Reason, want.Truncated, want.Attempts = "failed", "timeout", false, 2
	want.Title, want.Date = "", time.Time{}
	if err := e.s.Index.PutExtraction(ctx, want); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := e.s.Index.GetExtraction(ctx, n.Hash); got != want {
		t.Fatalf("after a retry: got %+v, want %+v", got, want)
	}
}

// The bulk walk of a rebuild must describe exactly the files, and only the
// live ones, that IndexFiles describes one by one.
func TestAllIndexFilesMatchesIndexFiles(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, d := range []string{"/Bureau", "/Bureau/2024", "/Archives", "/Archives/Vieux", "/Vide"} {
		if _, err := e.s.Tree.Mkdir(ctx, e.admin, d); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range []string{"/racine.txt", "/Bureau/pv.txt", "/Bureau/2024/budget.txt", "/Bureau/2024/statuts.md",
		"/Archives/Vieux/ancien.txt", "/Archives/garde.txt", "/jeté.txt", "/Bureau/2024/vide.txt"} {
		content := fmt.Sprintf("texte %d", i)
		if strings.HasSuffix(p, "vide.txt") {
			content = ""
		}
		e.put(t, e.admin, p, content)
	}
	if _, err := e.s.Tree.SetTags(ctx, e.admin, "/Bureau/2024/budget.txt", []string{"Finances", "AG 2024"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Tree.SetTags(ctx, e.admin, "/racine.txt", []string{"accueil"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/jeté.txt", "/Archives/Vieux"} {
		if err := e.s.Tree.Delete(ctx, e.admin, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.s.Tree.Move(ctx, e.admin, "/Bureau/pv.txt", "/Archives/pv-2023.txt", false); err != nil {
		t.Fatal(err)
	}

	var want []IndexNode
	err := e.s.Index.AllFileIDs(ctx, func(id int64) error {
		files, _, err := e.s.Index.IndexFiles(ctx, id)
		want = append(want, files...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, pageSize := range []int{1, 3, 100} {
		var got []IndexNode
		pages := 0
		err := e.s.Index.AllIndexFiles(ctx, pageSize, func(files []IndexNode) error {
			if len(files) > pageSize {
				t.Errorf("page of %d files, want at most %d", len(files), pageSize)
			}
			pages++
			got = append(got, files...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(want) != 6 || !reflect.DeepEqual(got, want) {
			t.Fatalf("page size %d (%d pages): bulk walk gave\n%+v\nIndexFiles gives (6 live files expected)\n%+v", pageSize, pages, got, want)
		}
	}

	// Records of several blobs in one read; unknown blobs are absent.
	n := want[0]
	rec := Extraction{Blob: n.Hash, Status: "ok", Lang: "fr", Chars: 7, Extractor: "text", Attempts: 1}
	if err := e.s.Index.PutExtraction(ctx, rec); err != nil {
		t.Fatal(err)
	}
	got, err := e.s.Index.GetExtractions(ctx, []string{n.Hash, want[1].Hash, "0000"})
	if err != nil || len(got) != 1 || got[n.Hash] != rec {
		t.Fatalf("GetExtractions = %+v, %v; want only %+v", got, err, rec)
	}
}

// Every search reads the restricted folders (ReadableRoots): the query
// must start from the partial index of restricted folders, not walk every
// node. SQLite's planner picked the parent index while the seed also
// tested parent_id, a scan of the whole tree on every search.
func TestReadableRootsUsesRestrictedIndex(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.s.Tree.Mkdir(ctx, e.admin, "/Asso"); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		if _, err := e.s.Tree.Mkdir(ctx, e.admin, fmt.Sprintf("/Asso/dossier%02d", i)); err != nil {
			t.Fatal(err)
		}
		e.put(t, e.admin, fmt.Sprintf("/Asso/dossier%02d/note.txt", i), "texte")
	}
	if _, err := e.s.Tree.SetRestricted(ctx, e.admin, "/Asso/dossier07", true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Access.Grant(ctx, e.admin, "/Asso", mustGrantee(t, "user:marie"), acl.Viewer); err != nil {
		t.Fatal(err)
	}
	// SQLite's plan (PostgreSQL plans by its statistics: the bench's
	// PostgreSQL run covers it at size).
	if !testdb.Postgres() {
		plan := queryPlan(t, e, restrictedAncestorsSQL)
		text := strings.Join(plan, "\n")
		if !strings.Contains(text, "nodes_restricted") || strings.Contains(text, "nodes_parent") {
			t.Fatalf("the restricted folders are not read through their index:\n%s", text)
		}
	}
	// And it still finds the cut below the member's root.
	asso, err := e.s.Tree.Stat(ctx, e.admin, "/Asso")
	if err != nil {
		t.Fatal(err)
	}
	cut, err := e.s.Tree.Stat(ctx, e.admin, "/Asso/dossier07")
	if err != nil {
		t.Fatal(err)
	}
	all, roots, cuts, err := e.s.Index.ReadableRoots(ctx, e.member)
	if err != nil || all || !slices.Contains(roots, asso.ID) || !reflect.DeepEqual(cuts[asso.ID], []int64{cut.ID}) {
		t.Fatalf("ReadableRoots = %v %v %v %v; want /Asso (%d) with the cut %d", all, roots, cuts, err, asso.ID, cut.ID)
	}
}
