package search

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestDateInName(t *testing.T) {
	for name, want := range map[string]string{
		"2025-03 PV AG.pdf":            "2025-03-01",
		"PV AG 2024.docx":              "2024-01-01",
		"CR bureau 14-03-2025.odt":     "2025-03-14",
		"CR bureau 4.3.2025.odt":       "2025-03-04",
		"IMG_20230514_123456.jpg":      "2023-05-14",
		"budget_2022_11.ods":           "2022-11-01",
		"facture 03-2021.pdf":          "2021-03-01",
		"Rapport 2019-2020 final.pdf":  "2019-01-01",
		"2024-02-30 impossible.txt":    "2024-02-01", // no 30 February: the month still stands
		"Facture 2024-0012.pdf":        "2024-01-01",
		"statuts.pdf":                  "",
		"devis 1500 euros.pdf":         "",
		"réf 123456789.pdf":            "",
		"plan 2999.pdf":                "",
		"20250314.pdf":                 "2025-03-14",
		"notes-1979.txt":               "",
		"Budget prévisionnel 2026.ods": "2026-01-01",
	} {
		got, ok := DateInName(name)
		s := ""
		if ok {
			s = got.Format("2006-01-02")
		}
		if s != want {
			t.Errorf("DateInName(%q) = %q, want %q", name, s, want)
		}
	}
}

// A document is filed under a date in its name, else the date it
// carries, else its modification: for the year facet, the date filter
// and the date sort.
func TestDocumentDateFilesDocuments(t *testing.T) {
	mod := day("2026-02-10")
	ix, _ := openTest(t,
		Document{ID: "named", Name: "2025-03 PV AG.pdf", Path: "/2025-03 PV AG.pdf", Modified: mod, Date: day("2024-12-01"), Content: "procès-verbal assemblée"},
		Document{ID: "own", Name: "pv.pdf", Path: "/pv.pdf", Modified: mod, Date: day("2023-05-04"), Content: "procès-verbal assemblée"},
		Document{ID: "plain", Name: "notes.txt", Path: "/notes.txt", Modified: mod, Content: "procès-verbal assemblée"},
	)
	res := search(t, ix, Query{Text: "assemblée", Access: all, Sort: "date"})
	if got := hitIDs(res); !slices.Equal(got, []string{"plain", "named", "own"}) {
		t.Errorf("date order %v, want plain (2026), named (2025), own (2023)", got)
	}
	years := map[string]int{}
	for _, f := range res.Facets.Years {
		years[f.Term] = f.Count
	}
	if want := map[string]int{"2026": 1, "2025": 1, "2023": 1}; fmt.Sprint(years) != fmt.Sprint(want) {
		t.Errorf("year facet %v, want %v", years, want)
	}
	for _, h := range res.Hits {
		want := map[string]string{"named": "2025-03-01", "own": "2023-05-04", "plain": "2026-02-10"}[h.ID]
		if got := h.Date.Format("2006-01-02"); got != want || !h.Modified.Equal(mod) {
			t.Errorf("%s: Date %s Modified %v, want %s and the modification kept", h.ID, got, h.Modified, want)
		}
	}
	in2023 := search(t, ix, Query{Text: "assemblée", Access: all, From: day("2023-01-01"), To: day("2024-01-01")})
	if got := ids(in2023); !slices.Equal(got, []string{"own"}) {
		t.Errorf("From/To 2023: %v, want [own]", got)
	}
}

// At equal relevance the most recent document comes first, also when
// the tied documents do not fit in the first fetch.
func TestRecentFirstAtEqualRelevance(t *testing.T) {
	ix, err := Open(t.TempDir(), testLogger(t), WithShards(1))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	// Fifty identical documents, the newest with the highest ID (ties are
	// otherwise ordered by ID), and one that matches better.
	var docs []Document
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 50 {
		docs = append(docs, Document{ID: fmt.Sprintf("s%02d", i), Name: "statuts.odt", Path: fmt.Sprintf("/v%02d/statuts.odt", i),
			Modified: base.AddDate(0, i, 0), Content: "Statuts de l'association, article premier."})
	}
	docs = append(docs, Document{ID: "best", Name: "statuts association.odt", Path: "/statuts association.odt",
		Modified: base, Content: "Statuts de l'association. Les statuts de l'association."})
	if err := ix.Apply(context.Background(), docs, nil); err != nil {
		t.Fatal(err)
	}
	var got []string
	for off := 0; off < 60; off += 20 {
		got = append(got, hitIDs(search(t, ix, Query{Text: "statuts association", Access: all, Offset: off, Limit: 20}))...)
	}
	want := []string{"best"}
	for i := 49; i >= 0; i-- {
		want = append(want, fmt.Sprintf("s%02d", i))
	}
	if !slices.Equal(got, want) {
		t.Errorf("order %v,\nwant the better match, then the tied ones newest first %v", got, want)
	}
}

// The document's title counts less than its name and more than its text:
// found by it, before a document that only says the words in its text,
// after one named by them.
func TestTitleRanksBetweenNameAndText(t *testing.T) {
	// Scores are tf-idf within a shard: enough other documents that each
	// shard's statistics are alike.
	docs := []Document{
		{ID: "titled", Name: "scan0042.pdf", Path: "/scan0042.pdf", Title: "Budget de la kermesse", Modified: day("2024-01-01"),
			Content: "Recettes et dépenses de la fête de juin."},
		{ID: "body", Name: "notes.txt", Path: "/notes.txt", Modified: day("2024-01-01"),
			Content: "Pour la kermesse, le budget est serré. La kermesse aura lieu en juin; le budget sera voté."},
		{ID: "named", Name: "Budget kermesse.ods", Path: "/Budget kermesse.ods", Modified: day("2024-01-01"),
			Content: "Tableau des recettes."},
	}
	for i := range 40 {
		docs = append(docs, Document{ID: fmt.Sprintf("other%02d", i), Name: fmt.Sprintf("compte rendu %02d.txt", i),
			Path: fmt.Sprintf("/cr/compte rendu %02d.txt", i), Title: "Compte rendu du bureau", Modified: day("2024-01-01"),
			Content: "Le bureau a parlé des recettes, des dépenses et de la fête de juin."})
	}
	ix, _ := openTest(t, docs...)
	res := search(t, ix, Query{Text: "budget kermesse", Access: all})
	if got := hitIDs(res); !slices.Equal(got, []string{"named", "titled", "body"}) {
		t.Errorf("order %v, want the named document, then the titled one, then the one saying the words", got)
	}
	if res.Hits[1].Title != "Budget de la kermesse" {
		t.Errorf("hit title %q", res.Hits[1].Title)
	}
}

// Facets count each matching document once, also when the page's edge is
// tied and the hits are fetched again with a wider window.
func TestFacetsOnceWhenTiesRefetch(t *testing.T) {
	ix, err := Open(t.TempDir(), testLogger(t), WithShards(1))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	var docs []Document
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 60 {
		docs = append(docs, Document{ID: fmt.Sprintf("s%02d", i), Name: "statuts.odt", Path: fmt.Sprintf("/v%02d/statuts.odt", i),
			Modified: base, Content: "Statuts de l'association, article premier."})
	}
	if err := ix.Apply(context.Background(), docs, nil); err != nil {
		t.Fatal(err)
	}
	res := search(t, ix, Query{Text: "statuts", Access: all, Limit: 20})
	if res.Total != 60 {
		t.Fatalf("total %d, want 60", res.Total)
	}
	if len(res.Facets.Years) != 1 || res.Facets.Years[0].Count != 60 {
		t.Errorf("year facet %v, want 60 documents in 2020", res.Facets.Years)
	}
}
