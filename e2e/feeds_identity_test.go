package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed/atom"

	"notreasso/internal/testutil/server"
)

// Each feed has its own stable tag: id and a rel="self" link to itself, and
// the pages that show a scope link its feed for readers to discover.
func TestFeedIdentityAndDiscovery(t *testing.T) {
	srv := server.Start(t, server.Options{})
	api := admin(t, srv)
	for _, p := range []string{"/api/v1/folders/Public", "/api/v1/folders/Public/Affiches"} {
		if st := api.call("POST", p, nil, nil); st != 201 {
			t.Fatalf("mkdir %s: %d", p, st)
		}
	}
	api.call("POST", "/api/v1/grants/Public", map[string]any{"principal": "public", "role": "viewer"}, nil)
	if resp := api.do("PUT", "/api/v1/files/Public/affiche.txt", strings.NewReader("affiche"), nil); resp.StatusCode >= 300 {
		t.Fatalf("put: %d", resp.StatusCode)
	}
	api.call("PUT", "/api/v1/tags/Public/affiche.txt", map[string]any{"tags": []string{"fête"}}, nil)
	col := map[string]any{}
	api.call("POST", "/api/v1/collections", map[string]any{"title": "Accueil", "audience": map[string]any{"members": true}}, &col)
	cid := int64(col["id"].(float64))

	paths := []string{"/api/v1/feeds/all.atom", "/api/v1/feeds/folder/Public", "/api/v1/feeds/folder/Public/Affiches",
		"/api/v1/feeds/tag/f%C3%AAte", fmt.Sprintf("/api/v1/feeds/collection/%d", cid)}
	var tok map[string]any
	if st := api.call("POST", "/api/v1/me/feed-token", nil, &tok); st != 201 {
		t.Fatalf("feed token: %d", st)
	}
	q := "?token=" + tok["token"].(string)
	ids := map[string]string{}
	for _, p := range paths {
		f := fetchAtom(t, srv.URL+p+q)
		if strings.Contains(f.ID, "token") {
			t.Errorf("%s: the id carries the token: %s", p, f.ID)
		}
		if !strings.HasPrefix(f.ID, "tag:127.0.0.1,2026:") && !strings.HasPrefix(f.ID, "tag:localhost,2026:") {
			t.Errorf("%s: id %q is not a tag: URI of this host", p, f.ID)
		}
		if other, dup := ids[f.ID]; dup {
			t.Errorf("%s and %s share the id %s", p, other, f.ID)
		}
		ids[f.ID] = p
		if again := fetchAtom(t, srv.URL+p+q); again.ID != f.ID {
			t.Errorf("%s: id changed from %s to %s", p, f.ID, again.ID)
		}
		var self, alt string
		for _, l := range f.Links {
			switch l.Rel {
			case "self":
				self = l.Href
			case "alternate", "":
				alt = l.Href
			}
		}
		if self != srv.URL+p+q {
			t.Errorf("%s: rel=self is %q", p, self)
		}
		if alt == "" || strings.Contains(alt, "/api/") {
			t.Errorf("%s: alternate link %q should be the page", p, alt)
		}
	}

	// Pages name their feed in <head>.
	br := newBrowser(t, srv)
	if st := br.login("admin", server.AdminPassword); st != 200 {
		t.Fatalf("login: %d", st)
	}
	linkRe := regexp.MustCompile(`<link rel="alternate" type="application/atom\+xml"[^>]* href="([^"]+)"`)
	for page, want := range map[string]string{
		"/activity":                         "/api/v1/feeds/all.atom",
		"/activity?folder=/Public":          "/api/v1/feeds/folder/Public",
		"/browse/Public/Affiches":           "/api/v1/feeds/folder/Public/Affiches",
		"/tags/f%C3%AAte":                   "/api/v1/feeds/tag/f%C3%AAte",
		fmt.Sprintf("/collections/%d", cid): fmt.Sprintf("/api/v1/feeds/collection/%d", cid),
	} {
		st, body, _ := br.do("GET", page, nil, map[string]string{"Accept": "text/html"})
		m := linkRe.FindStringSubmatch(body)
		if st != 200 || m == nil || m[1] != want {
			t.Errorf("%s (%d): feed link %v, want %s", page, st, m, want)
		}
	}
}

func fetchAtom(t *testing.T, u string) *atom.Feed {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d", u, resp.StatusCode)
	}
	f, err := (&atom.Parser{}).Parse(resp.Body)
	if err != nil {
		t.Fatalf("%s: %v", u, err)
	}
	return f
}
