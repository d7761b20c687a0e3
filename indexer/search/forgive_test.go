package search

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestOSADistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"depenses", "depenses", 0},
		{"depenses", "depneses", 1}, // swap
		{"depenses", "depenes", 1},  // drop
		{"depenses", "deppenses", 1},
		{"depenses", "depensez", 1},
		{"subvension", "subventions", 2},
		{"abc", "", 3},
		{"réunion", "reunion", 1},
	} {
		if got := osaDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("osaDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	for w, want := range map[string]int{"mai": 0, "mairie": 1, "depenses": 1, "subventions": 2, "2024": 0, "ag2024x": 0, "budget": 1, "salle": 1} {
		if got := fuzziness(w); got != want {
			t.Errorf("fuzziness(%q) = %d, want %d", w, got, want)
		}
	}
}

// typos returns the word with one letter swapped, dropped, doubled and
// replaced, at position i.
func typos(w string, i int) map[string]string {
	r := []rune(w)
	swap := slices.Clone(r)
	swap[i], swap[i+1] = swap[i+1], swap[i]
	repl := slices.Clone(r)
	repl[i] = 'x'
	return map[string]string{
		"swap":    string(swap),
		"drop":    string(slices.Delete(slices.Clone(r), i, i+1)),
		"double":  string(slices.Insert(slices.Clone(r), i, r[i])),
		"replace": string(repl),
	}
}

// One misspelt word of three still finds the document, for words of 5–8
// letters (one edit) and longer ones (two), each kind of slip.
func TestTypoTolerance(t *testing.T) {
	ix, _ := openTest(t, fixture()...)
	fuzzy := 0
	for _, tc := range []struct {
		template, word, want string
	}{
		{"budget %s mairie", "depenses", "d-finance"},
		{"budget %s mairie", "subventions", "d-finance"},
		{"comptes %s unanimité", "approuvés", "d-pv"},
		{"partner %s budget", "meetings", "d-minutes"},
	} {
		for kind, typo := range typos(tc.word, 2) {
			q := fmt.Sprintf(tc.template, typo)
			if r := search(t, ix, Query{Text: q, Access: all, Exact: true}); r.Total != 0 {
				// The French stemmer undoes some doubled letters.
				t.Logf("%q (%s) already matches exactly", q, kind)
				continue
			}
			fuzzy++
			r := search(t, ix, Query{Text: q, Access: all})
			if len(r.Hits) == 0 || r.Hits[0].ID != tc.want {
				t.Errorf("%q (%s): hits %v, want %s first", q, kind, hitIDs(r), tc.want)
				continue
			}
			if !r.Fuzzy || r.Partial {
				t.Errorf("%q: fuzzy %v partial %v", q, r.Fuzzy, r.Partial)
			}
		}
	}
	if fuzzy < 12 {
		t.Errorf("only %d of 16 misspellings needed typo tolerance", fuzzy)
	}
	// Short words, numbers and codes are never approximated.
	for _, q := range []string{"juim", "2025", "2O23", "x2024"} {
		if r := search(t, ix, Query{Text: q, Access: all}); r.Total != 0 || r.Fuzzy {
			t.Errorf("%q: %v fuzzy %v, want nothing", q, hitIDs(r), r.Fuzzy)
		}
	}
}

// Typo tolerance never changes what an exact query shows first: the
// documents matching every word as typed (or stemmed) come first, in the
// same order, whatever the fuzzy matches score.
func TestTypoToleranceKeepsExactResultsFirst(t *testing.T) {
	docs := fixture()
	// Documents that only a fuzzy match reaches, with the neighbour many
	// times in the name and text: they would outscore the exact match.
	docs = append(docs,
		Document{ID: "n-compte", Name: "compte compte.txt", Path: "/Comptabilité/compte compte.txt", Ancestors: []string{"root", "fCompta"},
			Lang: "fr", Content: strings.Repeat("compte mairie budget ", 20)},
		Document{ID: "n-statut", Name: "statue.txt", Path: "/statue.txt", Ancestors: []string{"root"},
			Lang: "fr", Content: strings.Repeat("la statue de la mairie ", 20)},
	)
	ix, _ := openTest(t, docs...)
	queries := []string{"compta", "statuts", "mairie", "budget", "subventions mairie", "réunion bureau", "association",
		"rapport financier", "assemblée", "cotisations", "minutes", "quartier", "statut mairie"}
	changed := 0
	for _, q := range queries {
		exact := search(t, ix, Query{Text: q, Access: all, Exact: true})
		forgiving := search(t, ix, Query{Text: q, Access: all})
		if exact.Total == 0 {
			t.Fatalf("%q matches nothing: not an exact query", q)
		}
		got := hitIDs(forgiving)
		if len(got) < len(exact.Hits) || !slices.Equal(got[:len(exact.Hits)], hitIDs(exact)) {
			t.Errorf("%q: forgiving %v does not start with exact %v", q, got, hitIDs(exact))
		}
		if len(got) > len(exact.Hits) {
			changed++
		}
	}
	if changed == 0 {
		t.Fatal("no query got fuzzy matches: the test proves nothing")
	}
}

func TestDidYouMean(t *testing.T) {
	ix, _ := openTest(t, fixture()...)
	r := search(t, ix, Query{Text: "budget subvension", Access: all})
	if r.Suggestion != "budget subventions" {
		t.Errorf("suggestion %q, want %q", r.Suggestion, "budget subventions")
	}
	r = search(t, ix, Query{Text: `tag:finances subvension "comptes de résultat"`, Access: all})
	if r.Suggestion != `tag:finances subventions "comptes de résultat"` {
		t.Errorf("suggestion %q keeps filters and phrases as typed", r.Suggestion)
	}
	if r := search(t, ix, Query{Text: "budget subventions", Access: all}); r.Suggestion != "" {
		t.Errorf("known words got a suggestion %q", r.Suggestion)
	}
	r = search(t, ix, Query{Text: "subventions xylophonique", Access: all})
	if r.Suggestion != "" || !slices.Equal(r.Unmatched, []string{"xylophonique"}) {
		t.Errorf("suggestion %q unmatched %v, want none and [xylophonique]", r.Suggestion, r.Unmatched)
	}
}

// A correction, a fuzzy match or a partial match is never drawn from a
// document the user may not read: not its words, not its name.
func TestForgivingRespectsPermissions(t *testing.T) {
	docs := []Document{
		{ID: "open", Name: "subventions.txt", Path: "/Public/subventions.txt", Ancestors: []string{"root", "fPub"}, Lang: "fr",
			Content: "Demande de subventions pour la fête du quartier."},
		{ID: "secret", Name: "plan-licenciement.txt", Path: "/Direction/plan-licenciement.txt", Ancestors: []string{"root", "fDir"}, Lang: "fr",
			Content: "Subversion du quartier : licenciement prévu, confidentiel."},
	}
	ix, texts := openTest(t, docs...)
	for _, member := range []Access{{Roots: []string{"fPub"}}, {Roots: []string{"root"}, Cuts: map[string][]string{"root": {"fDir"}}}} {
		forgivingFor(t, ix, texts, member)
	}
}

func forgivingFor(t *testing.T, ix *Index, texts *memTexts, member Access) {
	t.Helper()
	for _, tc := range []struct {
		q, admin, member string
	}{
		{"subvertion", "subversion", "subventions"}, // the closest term is secret
		{"licenciemant", "licenciement", ""},
		{"plan-licenciemant", "", ""},
	} {
		if tc.admin != "" {
			if r := search(t, ix, Query{Text: tc.q, Access: all}); r.Suggestion != tc.admin {
				t.Errorf("admin %q: suggestion %q, want %q (else the test proves nothing)", tc.q, r.Suggestion, tc.admin)
			}
		}
		before := len(texts.readIDs())
		r := search(t, ix, Query{Text: tc.q, Access: member})
		if r.Fuzzy != (tc.member != "") {
			t.Errorf("member %q: fuzzy %v", tc.q, r.Fuzzy)
		}
		if slices.Contains(texts.readIDs()[before:], "secret") {
			t.Errorf("member %q: the secret text was read for snippets", tc.q)
		}
		if r.Suggestion != tc.member {
			t.Errorf("member %q: suggestion %q, want %q", tc.q, r.Suggestion, tc.member)
		}
		for _, h := range r.Hits {
			if h.ID == "secret" {
				t.Errorf("member %q: secret document found", tc.q)
			}
		}
	}
	// Partial matches too.
	r := search(t, ix, Query{Text: "quartier licenciement fête", Access: member})
	if !r.Partial || !slices.Equal(hitIDs(r), []string{"open"}) || !slices.Equal(r.Hits[0].Missing, []string{"licenciement"}) {
		t.Errorf("member partial: %+v", r)
	}
}

func TestPartialMatches(t *testing.T) {
	ix, _ := openTest(t, fixture()...)
	r := search(t, ix, Query{Text: "budget mairie piscine", Access: all})
	if !r.Partial || r.Total != 1 || r.Hits[0].ID != "d-finance" || !slices.Equal(r.Hits[0].Missing, []string{"piscine"}) {
		t.Fatalf("partial: total %d hits %+v partial %v", r.Total, r.Hits, r.Partial)
	}
	if !slices.Equal(r.Unmatched, []string{"piscine"}) {
		t.Errorf("unmatched %v", r.Unmatched)
	}
	// Fewer words when no document has all but one.
	r = search(t, ix, Query{Text: "berlin mairie unanimité", Access: all})
	if !r.Partial || r.Total != 4 {
		t.Fatalf("one of three: total %d %v", r.Total, hitIDs(r))
	}
	for _, h := range r.Hits {
		if len(h.Missing) != 2 {
			t.Errorf("%s misses %v, want two words", h.ID, h.Missing)
		}
	}
	// Filters still apply.
	r = search(t, ix, Query{Text: "budget mairie piscine type:pdf", Access: all})
	for _, h := range r.Hits {
		if h.ID != "d-minutes" && h.ID != "d-statuts" {
			t.Errorf("filter ignored: %s", h.ID)
		}
	}
	if r := search(t, ix, Query{Text: "budget mairie piscine", Access: all, Exact: true}); r.Partial || r.Total != 0 {
		t.Errorf("Exact: %+v", r)
	}
}

// A document whose name holds the whole query comes before documents
// that only talk about it, however often.
func TestNameMatchesRankFirst(t *testing.T) {
	var docs []Document
	for i := range 5 {
		docs = append(docs, Document{ID: fmt.Sprintf("body-%d", i), Name: fmt.Sprintf("budget %d.txt", i), Path: fmt.Sprintf("/kermesse/budget %d.txt", i),
			Ancestors: []string{"root"}, Lang: "fr",
			Content: strings.Repeat("Le budget prévisionnel de la kermesse. ", 10+i)})
	}
	docs = append(docs, Document{ID: "named", Name: "Budget kermesse.ods", Path: "/Trésorerie/Budget kermesse.ods",
		Ancestors: []string{"root"}, Lang: "fr", Content: "Recettes, dépenses, buvette, tombola, stands, location de la salle, assurance, affiches."})
	ix, _ := openTest(t, docs...)
	for _, q := range []string{"budget kermesse", "kermesse budget", "kermesse"} {
		r := search(t, ix, Query{Text: q, Access: all})
		if len(r.Hits) == 0 || r.Hits[0].ID != "named" {
			t.Errorf("%q: %v, want named first", q, hitIDs(r))
		}
	}
}
