package search

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func TestSuggest(t *testing.T) {
	docs := []Document{
		{ID: "a", Name: "Budget kermesse.ods", Path: "/Public/Budget kermesse.ods", Ancestors: []string{"r", "pub"}, Tags: []string{"Kermesse 2026"}},
		{ID: "b", Name: "notes.txt", Path: "/Public/Kermesses passées/notes.txt", Ancestors: []string{"r", "pub", "kp"}},
		{ID: "s", Name: "Kermesse annulée - licenciements.txt", Path: "/Direction/Kermesse secrète/Kermesse annulée - licenciements.txt",
			Ancestors: []string{"r", "dir", "ks"}, Tags: []string{"Kermesse confidentielle"}},
	}
	ix, _ := openTest(t, docs...)
	ctx := context.Background()
	labels := func(ss []Suggestion) string {
		var out []string
		for _, s := range ss {
			out = append(out, s.Kind+":"+s.Label+"@"+s.Path)
		}
		return strings.Join(out, " | ")
	}
	admin, err := ix.Suggest(ctx, "budget kerm", all, 8)
	if err != nil {
		t.Fatal(err)
	}
	if got := labels(admin); !strings.Contains(got, "secrète") || !strings.Contains(got, "annulée") || !strings.Contains(got, "confidentielle") {
		t.Fatalf("admin suggestions lack the secret ones (the test proves nothing): %s", got)
	}
	// A member granted the public folder, and one granted everything but
	// a restricted folder.
	for _, access := range []Access{{Roots: []string{"pub"}}, {Roots: []string{"r"}, Cuts: map[string][]string{"r": {"dir"}}}} {
		member, err := ix.Suggest(ctx, "budget kerm", access, 8)
		if err != nil {
			t.Fatal(err)
		}
		checkMemberSuggestions(t, labels(member))
	}
	if s, _ := ix.Suggest(ctx, "kerm", Access{}, 8); len(s) != 0 {
		t.Errorf("no access: %s", labels(s))
	}
	if s, _ := ix.Suggest(ctx, "k", all, 8); len(s) != 0 {
		t.Errorf("one letter: %s", labels(s))
	}
}

func checkMemberSuggestions(t *testing.T, got string) {
	t.Helper()
	for _, want := range []string{"file:Budget kermesse.ods@/Public/Budget kermesse.ods", "folder:Kermesses passées@/Public/Kermesses passées", "tag:Kermesse 2026@"} {
		if !strings.Contains(got, want) {
			t.Errorf("member suggestions %s lack %s", got, want)
		}
	}
	for _, secret := range []string{"Direction", "secrète", "annulée", "licenciements", "confidentielle"} {
		if strings.Contains(got, secret) {
			t.Errorf("member suggestions reveal %q: %s", secret, got)
		}
	}
}

// Suggestions read the first matches of each shard and stop: the
// permission filter must be part of that reading, or the secret names
// indexed first would fill the suggestions (or leak). Both ways the
// filter runs (checking each match, leapfrogging to visible documents).
func TestSuggestReadsOnlyVisibleMatches(t *testing.T) {
	var docs []Document
	for i := range 300 {
		docs = append(docs, Document{ID: fmt.Sprintf("s%03d", i), Name: fmt.Sprintf("doc%03d secret.txt", i),
			Path: fmt.Sprintf("/Direction/doc%03d secret.txt", i), Ancestors: []string{"r", "dir"},
			Title: fmt.Sprintf("Rapport confidentiel %d", i), Tags: []string{"Rapport caché"}})
	}
	for i := range 5 {
		docs = append(docs, Document{ID: fmt.Sprintf("v%d", i), Name: fmt.Sprintf("doc%d public.txt", i),
			Path: fmt.Sprintf("/Public/doc%d public.txt", i), Ancestors: []string{"r", "pub"}})
	}
	docs = append(docs, Document{ID: "titled", Name: "scan0042.pdf", Path: "/Public/scan0042.pdf", Ancestors: []string{"r", "pub"},
		Title: "Rapport moral 2025"})
	ix, _ := openTest(t, docs...)
	ctx := context.Background()
	labels := func(ss []Suggestion) string {
		var out []string
		for _, s := range ss {
			out = append(out, s.Kind+":"+s.Label+"@"+s.Path)
		}
		return strings.Join(out, " | ")
	}
	defer func(v float64) { aclDenseShare = v }(aclDenseShare)
	for _, share := range []float64{0, 2} {
		aclDenseShare = share
		for _, access := range []Access{{Roots: []string{"pub"}}, {Roots: []string{"r"}, Cuts: map[string][]string{"r": {"dir"}}}} {
			got, err := ix.Suggest(ctx, "doc", access, 8)
			if err != nil {
				t.Fatal(err)
			}
			s := labels(got)
			if n := strings.Count(s, "public.txt@"); n != 5 {
				t.Errorf("share %v %+v: %d of the 5 public names in %s", share, access, n, s)
			}
			got, err = ix.Suggest(ctx, "rapp", access, 8)
			if err != nil {
				t.Fatal(err)
			}
			s += " | " + labels(got)
			if !strings.Contains(s, "title:Rapport moral 2025@/Public/scan0042.pdf") {
				t.Errorf("share %v %+v: the readable title is not offered: %s", share, access, s)
			}
			for _, secret := range []string{"secret", "Direction", "confidentiel", "caché"} {
				if strings.Contains(s, secret) {
					t.Errorf("share %v %+v: suggestions reveal %q: %s", share, access, secret, s)
				}
			}
		}
	}
	// The admin sees the secret titles: the test can see them at all.
	got, err := ix.Suggest(ctx, "rapp", all, 8)
	if err != nil {
		t.Fatal(err)
	}
	if s := labels(got); !strings.Contains(s, "title:Rapport confidentiel") || !strings.Contains(s, "tag:Rapport caché") {
		t.Errorf("admin suggestions lack the secret titles and tags (the test proves nothing): %s", s)
	}
}
