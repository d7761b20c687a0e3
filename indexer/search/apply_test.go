package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestApplyUpsertReplaces(t *testing.T) {
	ctx := context.Background()
	ix, _ := openTest(t, fixture()...)

	// Move /Administratif/Archives to /Comptabilité/Archives and edit the
	// règlement: the caller upserts the moved documents.
	moved := fixture()[2]
	moved.Path = "/Comptabilité/Archives/ancien-reglement.odt"
	moved.Ancestors = []string{"root", "fCompta", "fArc"}
	moved.Tags = []string{"Finances"}
	moved.Content = "Règlement financier. Les notes de frais sont remboursées."
	if err := ix.Apply(ctx, []Document{moved}, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		q    Query
		want []string
	}{
		{"old folder id", Query{Folder: "fAdm"}, []string{"d-pv", "d-statuts"}},
		{"new folder id", Query{Folder: "fCompta"}, []string{"d-finance", "d-reglement"}},
		{"old folder path", Query{Text: "folder:/administratif/archives"}, nil},
		{"new folder path", Query{Text: "folder:/comptabilite/archives"}, []string{"d-reglement"}},
		{"old text gone", Query{Text: "cotisations"}, nil},
		{"new text", Query{Text: "remboursées"}, []string{"d-reglement"}},
		{"old tag gone", Query{Text: "tag:juridique"}, []string{"d-statuts"}},
		{"old grant no longer applies", Query{Access: Access{Roots: []string{"fAdm"}}}, []string{"d-pv", "d-statuts"}},
		{"new grant applies", Query{Access: Access{Roots: []string{"fCompta"}}}, []string{"d-finance", "d-reglement"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.q.Access.All && tt.q.Access.Roots == nil {
				tt.q.Access = all
			}
			if got := ids(search(t, ix, tt.q)); !slices.Equal(got, tt.want) {
				t.Errorf("Search(%+v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
	res := search(t, ix, Query{Access: all})
	if want := []FacetCount{{"fAdm", 2}, {"fCompta", 2}, {"fIntl", 1}}; !slices.Equal(res.Facets.Folders, want) {
		t.Errorf("Folders facet = %v, want %v", res.Facets.Folders, want)
	}
	if n, err := ix.Count(); err != nil || n != 6 {
		t.Errorf("Count = %d, %v; want 6", n, err)
	}
}

func TestApplyDeletesAndDuplicates(t *testing.T) {
	ctx := context.Background()
	ix, _ := openTest(t, fixture()...)
	a := Document{ID: "x", Name: "a.txt", Path: "/a.txt", Ancestors: []string{"root"}, Content: "première version"}
	b := a
	b.Content = "seconde version"
	c := Document{ID: "y", Name: "c.txt", Path: "/c.txt", Ancestors: []string{"root"}, Content: "version condamnée"}
	// x twice: the last wins; y upserted and deleted: deleted; d-pv deleted;
	// an unknown id deleted: not an error.
	if err := ix.Apply(ctx, []Document{a, c, b}, []string{"y", "d-pv", "nope"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want []string
	}{
		{"version", []string{"x"}},
		{"seconde", []string{"x"}},
		{"première", nil},
		{"réunion", []string{"d-reglement"}},
	}
	for _, tt := range tests {
		if got := ids(search(t, ix, Query{Text: tt.text, Access: all})); !slices.Equal(got, tt.want) {
			t.Errorf("Search(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
	if n, err := ix.Count(); err != nil || n != 6 {
		t.Errorf("Count = %d, %v; want 6", n, err)
	}
	if err := ix.Apply(ctx, nil, nil); err != nil {
		t.Errorf("empty Apply: %v", err)
	}
}

func TestApplyErrors(t *testing.T) {
	ix, _ := openTest(t)
	err := ix.Apply(context.Background(), []Document{{Name: "sans id"}}, nil)
	if err == nil {
		t.Error("Apply of a document without ID: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ix.Apply(ctx, manyDocs(1200), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Apply with cancelled context = %v, want context.Canceled", err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ix.Apply(context.Background(), manyDocs(1), nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Apply after Close = %v, want ErrClosed", err)
	}
	if _, err := ix.Search(context.Background(), Query{Access: all}); !errors.Is(err, ErrClosed) {
		t.Errorf("Search after Close = %v, want ErrClosed", err)
	}
	if _, err := ix.Count(); !errors.Is(err, ErrClosed) {
		t.Errorf("Count after Close = %v, want ErrClosed", err)
	}
}

// manyDocs makes n small documents in folders f0..f9.
func manyDocs(n int) []Document {
	docs := make([]Document, n)
	for i := range docs {
		f := fmt.Sprintf("f%d", i%10)
		docs[i] = Document{
			ID: fmt.Sprintf("m%05d", i), Name: fmt.Sprintf("note-%d.txt", i),
			Path:      fmt.Sprintf("/%s/note-%d.txt", f, i),
			Ancestors: []string{"root", f}, Tags: []string{f}, Mime: "text/plain",
			Modified: day("2024-01-01"), Lang: "fr",
			Content: fmt.Sprintf("Note numéro %d du dossier %s. Réunion du bureau.", i, f),
		}
	}
	return docs
}

func TestApplyManyBatches(t *testing.T) {
	docs := manyDocs(2*batchDocs + 17)
	ix, _ := openTest(t, docs...)
	if n, err := ix.Count(); err != nil || n != uint64(len(docs)) {
		t.Fatalf("Count = %d, %v; want %d", n, err, len(docs))
	}
	want := 0
	for _, d := range docs {
		if d.Ancestors[1] == "f3" {
			want++
		}
	}
	res := search(t, ix, Query{Text: "réunion", Access: Access{Roots: []string{"f3"}}, Limit: 5})
	if res.Total != uint64(want) || len(res.Hits) != 5 {
		t.Errorf("Total %d with %d hits, want %d with 5", res.Total, len(res.Hits), want)
	}
}

// A 10 MiB text is indexed whole (a word at its very end is found) while
// its snippet reads a bounded prefix.
func TestApplyLargeDocument(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes 10 MiB")
	}
	big := strings.Repeat("Le trésorier présente les comptes de l'exercice. ", 10<<20/50) + "zygomatique"
	docs := append(manyDocs(3), Document{
		ID: "big", Name: "archives.txt", Path: "/f0/archives.txt", Ancestors: []string{"root", "f0"},
		Lang: "fr", Content: big, Modified: day("2024-01-01"),
	})
	ix, _ := openTest(t, docs...)
	res := search(t, ix, Query{Text: "zygomatique", Access: all})
	if got := ids(res); !slices.Equal(got, []string{"big"}) {
		t.Fatalf("word at the end of 10 MiB: hits %v", got)
	}
	if len(res.Hits[0].Snippets) != 1 || strings.Contains(res.Hits[0].Snippets[0], "<mark>") {
		t.Errorf("match beyond the scan limit: want the lead only, got %q", res.Hits[0].Snippets)
	}
	res = search(t, ix, Query{Text: "trésorier", Access: all})
	if len(res.Hits) != 1 || len(res.Hits[0].Snippets) != maxFragments {
		t.Errorf("common word in a big text: %d hits, %+v", len(res.Hits), res.Hits)
	}
}
