package e2e

import (
	"context"
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"

	"notreasso/internal/testutil/server"
)

type forgivingResult struct {
	searchResult
	Fuzzy      bool     `json:"fuzzy"`
	Suggestion string   `json:"suggestion"`
	Unmatched  []string `json:"unmatched"`
	Partial    bool     `json:"partial"`
	Hits       []struct {
		Path     string   `json:"path"`
		Missing  []string `json:"missing"`
		Snippets []string `json:"snippets"`
	} `json:"hits"`
}

func (c *client) forgivingSearch(q string, extra ...string) forgivingResult {
	c.t.Helper()
	var r forgivingResult
	if st := c.call("GET", "/api/v1/search?q="+url.QueryEscape(q)+strings.Join(extra, ""), nil, &r); st != 200 {
		c.t.Fatalf("search %q: status %d", q, st)
	}
	return r
}

func (r forgivingResult) paths() []string {
	var out []string
	for _, h := range r.Hits {
		out = append(out, h.Path)
	}
	return out
}

// Search that forgives, through the real server: typos, "did you mean",
// partial matches, names first and in: scopes, for a member who may read
// one folder only — nothing of the other folder ever shows.
func TestSearchForgives(t *testing.T) {
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	ctx := context.Background()
	for _, args := range [][]string{{"user", "add", "lea", "--guest"}} {
		if out, err := srv.Run(ctx, strings.NewReader("mot-de-passe-léa\n"), append(args, "--password-stdin")...); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	for _, f := range []string{"Public", "Public/Archives", "Direction"} {
		c.call("POST", "/api/v1/folders/"+f, nil, nil)
	}
	c.put("/Public/demande.txt", []byte("Demande de subventions pour la kermesse du quartier. Configuration du proxy de la mairie."))
	c.put("/Public/Archives/ancienne.txt", []byte("Ancienne demande de subventions, archivée en mairie."))
	c.put("/Public/Budget kermesse.txt", []byte("Recettes et dépenses : buvette, tombola, stands."))
	c.put("/Public/notes.txt", []byte(strings.Repeat("Le budget de la kermesse. ", 20)))
	c.put("/Direction/plan-licenciement.txt", []byte("Subversion : plan de licenciement confidentiel."))
	if out, err := srv.Run(ctx, nil, "grant", "add", "/Public", "user:lea", "viewer"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	waitFound(t, c, "proxy", "/Public/demande.txt")
	waitFound(t, c, "licenciement", "/Direction/plan-licenciement.txt")
	waitFound(t, c, "tombola", "/Public/Budget kermesse.txt")
	waitFound(t, c, "kermesse", "/Public/notes.txt")
	waitFound(t, c, "ancienne", "/Public/Archives/ancienne.txt")
	lea := newClient(t, srv, "lea", "mot-de-passe-léa")

	// Typos: the issue's own examples, and one slip of each kind in one
	// word of three.
	for _, q := range []string{"configuraton du proxy", "subvension", "demande subvnetions quartier",
		"demande subventons quartier", "demande subvventions quartier", "demande subvemtions quartier",
		"kermesse qaurtier mairie"} {
		r := lea.forgivingSearch(q)
		if len(r.Hits) == 0 || r.Hits[0].Path != "/Public/demande.txt" {
			t.Errorf("%q: %v, want /Public/demande.txt first", q, r.paths())
		}
	}

	// Did you mean: only from what the reader may read.
	if r := lea.forgivingSearch("subvension kermesse"); r.Suggestion != "subventions kermesse" {
		t.Errorf("suggestion %q", r.Suggestion)
	}
	if r := c.forgivingSearch("subvertion"); r.Suggestion != "subversion" {
		t.Errorf("admin: suggestion %q, want subversion (else the next check proves nothing)", r.Suggestion)
	}
	if r := lea.forgivingSearch("subvertion"); r.Suggestion != "subventions" {
		t.Errorf("member: suggestion %q, want subventions (subversion is in a folder she may not read)", r.Suggestion)
	}
	for _, q := range []string{"licenciemant", "licenciement", "plan-licenciemant", "confidentiell"} {
		r := lea.forgivingSearch(q)
		if r.Suggestion != "" || r.Total != 0 || len(r.Hits) != 0 || r.Partial {
			t.Errorf("member %q: %+v", q, r)
		}
	}
	if r := lea.forgivingSearch("licenciemant"); !slices.Equal(r.Unmatched, []string{"licenciemant"}) {
		t.Errorf("unmatched %v", r.Unmatched)
	}

	// Partial matches, with the missing words.
	r := lea.forgivingSearch("kermesse quartier piscine")
	if !r.Partial || len(r.Hits) == 0 || r.Hits[0].Path != "/Public/demande.txt" || !slices.Equal(r.Hits[0].Missing, []string{"piscine"}) {
		t.Errorf("partial: %+v", r)
	}
	for _, h := range r.Hits {
		if len(h.Missing) == 0 {
			t.Errorf("%s: partial hit without missing words", h.Path)
		}
	}

	// A name holding the whole query comes first.
	if r := lea.forgivingSearch("kermesse budget"); len(r.Hits) < 2 || r.Hits[0].Path != "/Public/Budget kermesse.txt" {
		t.Errorf("name first: %v", r.paths())
	}

	// in: / dans: scopes, and the folder parameter the folder pages use.
	for _, tc := range []struct {
		q     string
		extra string
		want  []string
	}{
		{"in:/Public/Archives subventions", "", []string{"/Public/Archives/ancienne.txt"}},
		{"subventions dans:/Public/Archives", "", []string{"/Public/Archives/ancienne.txt"}},
		{`dans:"/Public" subventions`, "", []string{"/Public/Archives/ancienne.txt", "/Public/demande.txt"}},
		{"subventions", "&folder=" + url.QueryEscape("/Public/Archives"), []string{"/Public/Archives/ancienne.txt"}},
		{"in:/Direction subversion", "", nil},
	} {
		got := lea.forgivingSearch(tc.q, tc.extra).paths()
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q%s: %v, want %v", tc.q, tc.extra, got, tc.want)
		}
	}

	// Suggestions as you type: only names of readable documents.
	suggest := func(cl *client, q string) string {
		var out struct {
			Suggestions []struct{ Kind, Label, Path string } `json:"suggestions"`
		}
		if st := cl.call("GET", "/api/v1/suggest?q="+url.QueryEscape(q), nil, &out); st != 200 {
			t.Fatalf("suggest %q: %d", q, st)
		}
		var s []string
		for _, x := range out.Suggestions {
			s = append(s, x.Kind+":"+x.Label+"@"+x.Path)
		}
		return strings.Join(s, " | ")
	}
	if got := suggest(lea, "budget kerm"); !strings.Contains(got, "file:Budget kermesse.txt@/Public/Budget kermesse.txt") {
		t.Errorf("member suggestions: %s", got)
	}
	if got := suggest(c, "plan-lic"); !strings.Contains(got, "plan-licenciement.txt") {
		t.Errorf("admin suggestions lack the secret file (the next check proves nothing): %s", got)
	}
	for _, q := range []string{"plan-lic", "lic", "dir", "subv"} {
		if got := suggest(lea, q); strings.Contains(got, "licenciement") || strings.Contains(got, "Direction") {
			t.Errorf("member suggestions for %q reveal the secret folder: %s", q, got)
		}
	}

	// The page: the correction as a link, the notice, struck words, no
	// doubled ellipsis.
	page := func(q string) string {
		resp := lea.do("GET", "/search?q="+url.QueryEscape(q), nil, map[string]string{"Accept-Language": "fr"})
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("search page %q: %d", q, resp.StatusCode)
		}
		return string(b)
	}
	if p := page("subvension"); !strings.Contains(p, "Vouliez-vous dire") || !strings.Contains(p, `href="/search?q=subventions"`) {
		t.Errorf("no did-you-mean link in the page")
	}
	p := page("kermesse quartier piscine")
	if !strings.Contains(p, "Aucun document ne contient tous les mots ; voici ceux qui en contiennent le plus") || !strings.Contains(p, "<s>piscine</s>") {
		t.Errorf("no partial notice or struck word in the page")
	}
	if strings.Contains(p, "… …") {
		t.Errorf("doubled ellipsis in the page")
	}
	if p := page("subvertion"); strings.Contains(p, "subversion") || strings.Contains(p, "licenciement") {
		t.Errorf("the page reveals a word of an unreadable document")
	}
}
