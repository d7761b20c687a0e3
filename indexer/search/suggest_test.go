package search

import (
	"context"
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
