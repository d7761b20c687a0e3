package e2e

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"notreasso/indexer/extract/testdocs"
	"notreasso/internal/testutil/server"
)

type datedResult struct {
	Total uint64 `json:"total"`
	Fuzzy bool   `json:"fuzzy"`
	Hits  []struct {
		Path     string    `json:"path"`
		Date     time.Time `json:"date"`
		Modified time.Time `json:"modified"`
		Title    string    `json:"title"`
	} `json:"hits"`
	Facets struct {
		Years []struct {
			Term  string `json:"term"`
			Count int    `json:"count"`
		} `json:"years"`
	} `json:"facets"`
}

func (c *client) datedSearch(q string, extra ...string) datedResult {
	c.t.Helper()
	var r datedResult
	if st := c.call("GET", "/api/v1/search?q="+url.QueryEscape(q)+strings.Join(extra, ""), nil, &r); st != 200 {
		c.t.Fatalf("search %q: status %d", q, st)
	}
	return r
}

func (r datedResult) paths() []string {
	var out []string
	for _, h := range r.Hits {
		out = append(out, h.Path)
	}
	return out
}

// A document is filed under its own date — a date in its name, else the
// one it carries (PDF, office, e-mail) — for the year facet, the date
// filter and the date sort, through the real server and its isolated
// extraction; its title is searched too; the file page shows both.
func TestSearchDocumentDates(t *testing.T) {
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	c.call("POST", "/api/v1/folders/Bureau", nil, nil)
	must := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	docs := map[string][]byte{
		"/Bureau/pv-bureau.pdf":            must(testdocs.PDFWithInfo("Compte rendu du bureau", "PV du bureau de mars", "D:20250314103000+01'00'")),
		"/Bureau/rapport.docx":             must(testdocs.DOCXWithCore("rapport du bureau", "Rapport moral", "2024-02-01T08:00:00Z", "2026-01-10T08:00:00Z")),
		"/Bureau/message.eml":              testdocs.EML("rapport du bureau"),
		"/Bureau/2023-05 CR assemblée.txt": []byte("Compte rendu du bureau et de l'assemblée."),
		"/Bureau/notes.txt":                []byte("Notes du bureau, sans date."),
	}
	for p, b := range docs {
		if st, _ := c.put(p, b); st != 201 && st != 200 {
			t.Fatalf("upload %s: %d", p, st)
		}
	}
	for p := range docs {
		waitFound(t, c, "bureau", p)
	}

	byDate := c.datedSearch("bureau", "&sort=date")
	want := []string{"/Bureau/notes.txt", "/Bureau/pv-bureau.pdf", "/Bureau/message.eml", "/Bureau/rapport.docx", "/Bureau/2023-05 CR assemblée.txt"}
	if got := byDate.paths(); !slices.Equal(got, want) {
		t.Errorf("date order %v,\nwant %v (the documents' own dates; notes.txt uploaded today)", got, want)
	}
	wantDay := map[string]string{"/Bureau/pv-bureau.pdf": "2025-03-14", "/Bureau/message.eml": "2024-06-03",
		"/Bureau/rapport.docx": "2024-02-01", "/Bureau/2023-05 CR assemblée.txt": "2023-05-01"}
	for _, h := range byDate.Hits {
		if d, ok := wantDay[h.Path]; ok && h.Date.Format("2006-01-02") != d {
			t.Errorf("%s: date %v, want %s", h.Path, h.Date, d)
		}
		if time.Since(h.Modified) > time.Hour {
			t.Errorf("%s: modified %v, want the upload time kept", h.Path, h.Modified)
		}
	}
	years := map[string]int{}
	for _, y := range byDate.Facets.Years {
		years[y.Term] = y.Count
	}
	now := time.Now().UTC().Format("2006")
	if years["2025"] != 1 || years["2024"] != 2 || years["2023"] != 1 || years[now] != 1 {
		t.Errorf("year facet %v, want 2025:1 2024:2 2023:1 %s:1", years, now)
	}
	in2024 := c.datedSearch("bureau", "&from=2024-01-01&to=2024-12-31").paths()
	slices.Sort(in2024)
	if !slices.Equal(in2024, []string{"/Bureau/message.eml", "/Bureau/rapport.docx"}) {
		t.Errorf("year 2024: %v", in2024)
	}

	// The title is searched: "mars" is only in the PDF's title.
	if r := c.datedSearch("mars"); len(r.Hits) == 0 || r.Hits[0].Path != "/Bureau/pv-bureau.pdf" || r.Hits[0].Title != "PV du bureau de mars" {
		t.Errorf("title search: %+v", r.Hits)
	}

	// The file page says what the document is filed under, and why.
	resp := c.do("GET", "/file/Bureau/pv-bureau.pdf", nil, map[string]string{"Accept-Language": "fr"})
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, s := range []string{`id="file-date"`, `datetime="2025-03-14`, "inscrite dans le document", `id="file-title">PV du bureau de mars<`} {
		if !strings.Contains(string(page), s) {
			t.Errorf("file page lacks %q", s)
		}
	}
	resp = c.do("GET", "/file/"+escapePath("/Bureau/2023-05 CR assemblée.txt"), nil, map[string]string{"Accept-Language": "en"})
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `datetime="2023-05-01`) || !strings.Contains(string(page), "read in its name") {
		t.Errorf("file page of a dated name lacks its date")
	}
}

// Typo tolerance keeps precision: when a word as typed finds few
// documents, the ones holding it still come first, before the neighbours
// typo tolerance adds, however well those match.
func TestSearchTypoToleranceKeepsExactFirst(t *testing.T) {
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	c.call("POST", "/api/v1/folders/Fêtes", nil, nil)
	c.put("/Fêtes/programme.txt", []byte("Le défilé de la fanfare ouvrira la fête."))
	for i := range 3 {
		c.put(fmt.Sprintf("/Fêtes/fanvare fanvare %d.txt", i), []byte(strings.Repeat("La fanvare, toujours la fanvare. ", 10)))
	}
	waitFound(t, c, "fanvare", "/Fêtes/fanvare fanvare 2.txt")
	waitFound(t, c, "défilé", "/Fêtes/programme.txt")
	r := c.datedSearch("fanfare")
	if !r.Fuzzy || r.Total != 4 {
		t.Errorf("typo tolerance did not add the neighbours (fuzzy %v, total %d): the next check proves nothing", r.Fuzzy, r.Total)
	}
	if len(r.Hits) == 0 || r.Hits[0].Path != "/Fêtes/programme.txt" {
		t.Errorf("%v: the document holding the word as typed must come first", r.paths())
	}
}

// Suggestions as you type never name a file, folder, tag or collection
// the user may not see; the administrator sees them all (or the checks
// would prove nothing).
func TestSuggestionsRevealNothing(t *testing.T) {
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	ctx := context.Background()
	run := func(stdin io.Reader, args ...string) {
		t.Helper()
		if out, err := srv.Run(ctx, stdin, args...); err != nil {
			t.Fatalf("notreasso %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// A guest: members may read the whole tree unless told otherwise.
	run(strings.NewReader("mot-de-passe-marc\n"), "user", "add", "marc", "--guest", "--password-stdin")
	run(nil, "group", "add", "bureau")
	run(nil, "group", "add", "benevoles")
	run(nil, "group", "member", "add", "benevoles", "marc")
	for _, f := range []string{"Public", "Bureau", "Bureau/Bilans secrets", "Public/Bilans publics"} {
		c.call("POST", "/api/v1/folders/"+escapePath(f), nil, nil)
	}
	run(nil, "grant", "add", "/Public", "user:marc", "viewer")
	c.put("/Public/Bilans publics/bilan-annuel.txt", []byte("Bilan de l'année."))
	c.put("/Bureau/Bilans secrets/bilan-confidentiel.txt", []byte("Bilan confidentiel."))
	c.call("PUT", "/api/v1/tags/"+escapePath("/Public/Bilans publics/bilan-annuel.txt"), map[string]any{"tags": []string{"bilan-ouvert"}}, nil)
	c.call("PUT", "/api/v1/tags/"+escapePath("/Bureau/Bilans secrets/bilan-confidentiel.txt"), map[string]any{"tags": []string{"bilan-interdit"}}, nil)
	for _, col := range []map[string]any{
		{"title": "Bilan pour les bénévoles", "audience": map[string]any{"members": false, "groups": []string{"benevoles"}}},
		{"title": "Bilan réservé au bureau", "audience": map[string]any{"members": false, "groups": []string{"bureau"}}},
	} {
		if st := c.call("POST", "/api/v1/collections", col, nil); st != 201 {
			t.Fatalf("collection %v: %d", col["title"], st)
		}
	}
	waitFound(t, c, "confidentiel", "/Bureau/Bilans secrets/bilan-confidentiel.txt")
	waitFound(t, c, "année", "/Public/Bilans publics/bilan-annuel.txt")
	marc := newClient(t, srv, "marc", "mot-de-passe-marc")

	type sugg struct{ Kind, Label, Path, URL string }
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
	has := func(ss []sugg, kind, label string) bool {
		return slices.ContainsFunc(ss, func(s sugg) bool { return s.Kind == kind && s.Label == label })
	}
	secrets := [][2]string{{"file", "bilan-confidentiel.txt"}, {"folder", "Bilans secrets"}, {"tag", "bilan-interdit"}, {"collection", "Bilan réservé au bureau"}}
	all := suggest(c, "bil")
	for _, s := range secrets {
		if !has(all, s[0], s[1]) {
			t.Errorf("admin: no %s %q among %+v (the checks below prove nothing)", s[0], s[1], all)
		}
	}
	for _, q := range []string{"bil", "bila", "bilan", "Bilan r", "bilan-i", "bilan-c", "confid", "secr", "réserv", "bureau", "interd"} {
		for _, s := range suggest(marc, q) {
			text := strings.ToLower(s.Label + " " + s.Path)
			for _, bad := range []string{"confidentiel", "secret", "interdit", "réservé", "bureau"} {
				if strings.Contains(text, bad) {
					t.Errorf("marc, %q: suggestion %+v reveals %q", q, s, bad)
				}
			}
		}
	}
	mine := suggest(marc, "bil")
	for _, s := range [][2]string{{"file", "bilan-annuel.txt"}, {"folder", "Bilans publics"}, {"tag", "bilan-ouvert"}, {"collection", "Bilan pour les bénévoles"}} {
		if !has(mine, s[0], s[1]) {
			t.Errorf("marc: no %s %q among %+v", s[0], s[1], mine)
		}
	}
	for _, s := range mine {
		if s.Kind == "collection" && !strings.HasPrefix(s.URL, "/collections/") {
			t.Errorf("collection suggestion without its page: %+v", s)
		}
	}
	// Accents and case aside, any word of the title.
	if !has(suggest(marc, "BENEV"), "collection", "Bilan pour les bénévoles") {
		t.Errorf("collection not suggested from a word inside its title")
	}
}
