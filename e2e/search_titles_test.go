package e2e

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"

	"notreasso/indexer/extract/testdocs"
	"notreasso/internal/testutil/server"
)

// A document's title — its title property, else its first heading — is
// read at extraction, ranks its document above one that only says the
// word in its text, is shown on the hit (API and search page) and is
// offered by the suggestions, only to those who may read the document.
func TestSearchTitles(t *testing.T) {
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	ctx := context.Background()
	if out, err := srv.Run(ctx, strings.NewReader("mot-de-passe-lea\n"), "user", "add", "lea", "--guest", "--password-stdin"); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	for _, f := range []string{"Titres", "Bureau"} {
		c.call("POST", "/api/v1/folders/"+f, nil, nil)
	}
	if out, err := srv.Run(ctx, nil, "grant", "add", "/Titres", "user:lea", "viewer"); err != nil {
		t.Fatalf("grant: %v\n%s", err, out)
	}
	must := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	docs := map[string][]byte{
		// "permanences" only in the PDF's title property.
		"/Titres/scan0042.pdf":  must(testdocs.PDFWithInfo("Compte rendu du bureau", "Calendrier des permanences", "D:20250314103000+01'00'")),
		"/Titres/notes.txt":     []byte("Les permanences du samedi : les permanences sont tenues par les bénévoles. Permanences d'hiver."),
		"/Titres/planning.docx": must(testdocs.DOCXWithHeading("Heading1", "Planning des kermesses", "Le bureau prépare la fête.")),
		"/Titres/guide.md":      testdocs.MarkdownWithHeading("Guide des bénévoles", "Accueil des nouveaux venus."),
		"/Titres/affiche.html":  testdocs.HTMLPage("", "Affiches de la brocante", "Texte de la page."),
		"/Bureau/secret.md":     testdocs.MarkdownWithHeading("Permanences confidentielles du bureau", "Liste du bureau."),
	}
	// Other documents, so that each shard's statistics are alike.
	for i := range 24 {
		docs[fmt.Sprintf("/Titres/note%02d.txt", i)] = []byte("Note du secrétariat sur les bénévoles et la fête de juin.")
	}
	for p, b := range docs {
		if st, _ := c.put(p, b); st != 201 && st != 200 {
			t.Fatalf("upload %s: %d", p, st)
		}
	}
	waitFound(t, c, "calendrier", "/Titres/scan0042.pdf")
	waitFound(t, c, "kermesses", "/Titres/planning.docx")
	waitFound(t, c, "confidentielles", "/Bureau/secret.md")
	waitFound(t, c, "brocante", "/Titres/affiche.html")
	waitFound(t, c, "accueil", "/Titres/guide.md")
	lea := newClient(t, srv, "lea", "mot-de-passe-lea")

	// The word only in a title ranks its document above the one that says
	// it three times in its text.
	r := lea.datedSearch("permanences")
	if got := r.paths(); len(got) < 2 || got[0] != "/Titres/scan0042.pdf" || !slices.Contains(got, "/Titres/notes.txt") {
		t.Errorf("order %v, want the titled PDF first, then notes.txt", got)
	}
	titles := map[string]string{}
	for _, q := range []string{"permanences", "kermesses", "accueil", "brocante", "secrétariat"} {
		for _, h := range c.datedSearch(q).Hits {
			titles[h.Path] = h.Title
		}
	}
	for p, want := range map[string]string{"/Titres/scan0042.pdf": "Calendrier des permanences", "/Titres/planning.docx": "Planning des kermesses",
		"/Titres/guide.md": "Guide des bénévoles", "/Titres/affiche.html": "Affiches de la brocante", "/Titres/note00.txt": ""} {
		if titles[p] != want {
			t.Errorf("%s: title %q, want %q", p, titles[p], want)
		}
	}
	// The search page shows it under the name.
	resp := c.do("GET", "/search?q=calendrier", nil, map[string]string{"Accept-Language": "fr"})
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `class="hit-title">Calendrier des permanences<`) {
		t.Errorf("search page lacks the hit's title")
	}

	type sugg struct{ Kind, Label, Path string }
	suggest := func(cl *client, q string) []sugg {
		t.Helper()
		var out struct {
			Suggestions []sugg `json:"suggestions"`
		}
		if st := cl.call("GET", "/api/v1/suggest?q="+url.QueryEscape(q), nil, &out); st != 200 {
			t.Fatalf("suggest %q: %d", q, st)
		}
		return out.Suggestions
	}
	if got := suggest(lea, "calend"); !slices.Contains(got, sugg{"title", "Calendrier des permanences", "/Titres/scan0042.pdf"}) {
		t.Errorf("lea, calend: no title suggestion in %+v", got)
	}
	if got := suggest(c, "perman"); !slices.ContainsFunc(got, func(s sugg) bool { return s.Label == "Permanences confidentielles du bureau" }) {
		t.Errorf("admin, perman: no secret title in %+v (the check below proves nothing)", got)
	}
	for _, q := range []string{"perman", "confid", "bur"} {
		for _, s := range suggest(lea, q) {
			if text := strings.ToLower(s.Label + " " + s.Path); strings.Contains(text, "confidentielles") || strings.Contains(text, "secret") {
				t.Errorf("lea, %q: suggestion %+v reveals the secret document", q, s)
			}
		}
	}
}

// At equal relevance the most recent document comes first, through the
// server: twelve copies of the same statutes, each dated by its own
// properties a year apart, in folders whose names weigh alike.
func TestSearchRecentFirstAtEqualRelevance(t *testing.T) {
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	c.call("POST", "/api/v1/folders/Statuts", nil, nil)
	var want []string
	for i := range 12 {
		p := fmt.Sprintf("/Statuts/v%02d/statuts.docx", i)
		c.call("POST", "/api/v1/folders/"+escapePath(fmt.Sprintf("Statuts/v%02d", i)), nil, nil)
		b, err := testdocs.DOCXWithCore("statuts de l'association", "Statuts", fmt.Sprintf("%d-03-01T10:00:00Z", 2014+i), "")
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := c.put(p, b); st != 201 && st != 200 {
			t.Fatalf("upload %s: %d", p, st)
		}
		want = append([]string{p}, want...)
	}
	for _, p := range want {
		waitFound(t, c, "association", p)
	}
	if got := c.datedSearch("statuts association").paths(); !slices.Equal(got, want) {
		t.Errorf("order %v,\nwant the newest first %v", got, want)
	}
}
