package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

type searchResult struct {
	Total  uint64      `json:"total"`
	Hits   []searchHit `json:"hits"`
	Facets map[string][]struct {
		Term  string `json:"term"`
		Count int    `json:"count"`
	} `json:"facets"`
}

type searchHit struct {
	ID       int64    `json:"id"`
	Path     string   `json:"path"`
	Name     string   `json:"name"`
	Snippets []string `json:"snippets"`
}

func (c *client) search(q string, extra ...string) (int, searchResult) {
	c.t.Helper()
	var r searchResult
	st := c.call("GET", "/api/v1/search?q="+url.QueryEscape(q)+strings.Join(extra, ""), nil, &r)
	return st, r
}

// waitFound polls the search API until q finds want (the indexer works in
// the background).
func waitFound(t *testing.T, c *client, q, want string) searchResult {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, r := c.search(q)
		if st != 200 {
			t.Fatalf("search %q: status %d", q, st)
		}
		for _, h := range r.Hits {
			if h.Path == want {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("search %q never found %s; last answer %+v", q, want, r)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestSearchFindsUploadsAndRespectsPermissions(t *testing.T) {
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	c.call("POST", "/api/v1/folders/Bureau", nil, nil)
	c.put("/Bureau/pv-ag.txt", []byte("Procès-verbal de l'assemblée générale du 12 juin 2026.\nLes statuts de l'association sont modifiés."))
	c.put("/Bureau/notes.md", []byte("# Réunion du bureau\n\nOrdre du jour : la trésorerie et les subventions."))
	c.put("/Bureau/page.html", []byte("<html><head><title>Accueil</title><script>var secret='motcaché'</script></head><body><p>Bénévoles bienvenus</p></body></html>"))
	c.put("/Bureau/membres.txt", []byte("Adhésion : chaque association membre verse une cotisation annuelle, réglée en espèces ou par chèque."))
	c.put("/Bureau/minutes-en.txt", []byte("Minutes of the board. The members approved the budget, and the volunteers scheduled the next meeting for the summer fair."))

	r := waitFound(t, c, `"assemblée générale"`, "/Bureau/pv-ag.txt")
	if len(r.Hits[0].Snippets) == 0 || !strings.Contains(strings.Join(r.Hits[0].Snippets, ""), "<mark>") {
		t.Errorf("no highlighted snippet: %+v", r.Hits[0])
	}
	waitFound(t, c, "reunion", "/Bureau/notes.md")      // accents omitted
	waitFound(t, c, "statut", "/Bureau/pv-ag.txt")      // singular finds plural
	waitFound(t, c, "association", "/Bureau/pv-ag.txt") // elision: l'association
	waitFound(t, c, "benevole", "/Bureau/page.html")    // HTML visible text
	// French morphology the other way round: a plural query finds the
	// singular, an elided query the bare word, accents and case are
	// optional, in words and in phrases.
	for _, tc := range []struct{ q, want string }{
		{"cotisations", "/Bureau/membres.txt"},
		{"l'association", "/Bureau/membres.txt"},
		{"l’association", "/Bureau/membres.txt"}, // typographic apostrophe
		{"ADHESION", "/Bureau/membres.txt"},
		{"especes cheques", "/Bureau/membres.txt"},
		{`"assemblee generale"`, "/Bureau/pv-ag.txt"},
		{`"Procès-Verbal de l'Assemblée"`, "/Bureau/pv-ag.txt"},
		{"RÉUNIONS", "/Bureau/notes.md"},
		// English stemming (Porter) on an English document.
		{"meetings", "/Bureau/minutes-en.txt"},
		{"approves", "/Bureau/minutes-en.txt"},
		{"volunteering", "/Bureau/minutes-en.txt"},
		{"scheduling budgets", "/Bureau/minutes-en.txt"},
	} {
		waitFound(t, c, tc.q, tc.want)
	}
	if _, r := c.search(`"generale assemblee"`); len(r.Hits) != 0 { // phrase order matters
		t.Errorf("a phrase matched with its words swapped: %+v", r.Hits)
	}
	for path, lang := range map[string]string{"/Bureau/minutes-en.txt": "en", "/Bureau/pv-ag.txt": "fr"} {
		if e := waitExtracted(t, c, path, 30*time.Second); e.Lang != lang {
			t.Errorf("%s: language %q, want %q", path, e.Lang, lang)
		}
	}
	if _, r := c.search("motcaché"); r.Total != 0 {
		t.Errorf("script content indexed: %+v", r)
	}

	// A guest without grants sees nothing: no hit, no count, no facet.
	out, err := srv.Run(context.Background(), strings.NewReader("mot-de-passe-invité\n"), "user", "add", "invite", "--guest", "--password-stdin")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	g := newClient(t, srv, "invite", "mot-de-passe-invité")
	st, gr := g.search("assemblée")
	if st != 200 || gr.Total != 0 || len(gr.Hits) != 0 {
		t.Errorf("guest search: %d %+v", st, gr)
	}
	for name, f := range gr.Facets {
		if len(f) != 0 {
			t.Errorf("guest sees facet %s: %+v", name, f)
		}
	}

	// Moving and trashing are followed by the index.
	c.call("POST", "/api/v1/move", map[string]any{"from": "/Bureau/pv-ag.txt", "to": "/Archives-pv.txt"}, nil)
	waitFound(t, c, "assemblée", "/Archives-pv.txt")
	c.call("DELETE", "/api/v1/files/Archives-pv.txt", nil, nil)
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, r := c.search("assemblée")
		if r.Total == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("trashed file still found: %+v", r)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var raw map[string]any
	c.call("GET", "/api/v1/stat/Bureau/notes.md", nil, &raw)
	if ex, _ := raw["extraction"].(map[string]any); ex == nil || ex["status"] != "ok" {
		t.Errorf("extraction status: %v", raw["extraction"])
	}
}
