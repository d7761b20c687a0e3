package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"

	"notreasso/internal/testutil/server"
)

// fetchFeed gets a feed without credentials (as a feed reader does) and
// parses it with a real feed library.
func fetchFeed(t *testing.T, srv *server.Server, path string) (int, *gofeed.Feed) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return resp.StatusCode, nil
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/atom+xml") {
		t.Fatalf("%s: Content-Type %q", path, ct)
	}
	f, err := gofeed.NewParser().ParseString(string(b))
	if err != nil {
		t.Fatalf("%s: not a valid feed: %v\n%s", path, err, b)
	}
	if f.FeedType != "atom" {
		t.Fatalf("%s: feed type %q", path, f.FeedType)
	}
	for _, it := range f.Items {
		if it.GUID == "" || it.Title == "" || it.Link == "" || it.PublishedParsed == nil && it.UpdatedParsed == nil {
			t.Fatalf("%s: incomplete entry %+v", path, it)
		}
	}
	return 200, f
}

// entriesMention reports the entries whose title or link mentions s.
func entriesMention(f *gofeed.Feed, s string) []string {
	var out []string
	for _, it := range f.Items {
		if strings.Contains(it.Title, s) || strings.Contains(it.Link, s) {
			out = append(out, it.Title)
		}
	}
	return out
}

func TestFeedsNeverShowUnreadableEntries(t *testing.T) {
	w := newWorld(t, server.Options{})
	w.mustCall(201, "POST", "/api/v1/folders/Public", nil)
	w.mustCall(201, "POST", "/api/v1/folders/Partenaires", nil)
	w.mustCall(201, "POST", "/api/v1/folders/Bureau", nil)
	w.mustCall(200, "POST", "/api/v1/grants/Public", map[string]any{"principal": "public", "role": "viewer"})
	w.mustCall(200, "POST", "/api/v1/grants/Partenaires", map[string]any{"principal": "group:partenaires", "role": "viewer"})
	w.put("/Public/affiche.txt", "affiche")
	w.put("/Partenaires/convention.txt", "convention")
	w.put("/Partenaires/convention.txt", "convention v2")
	w.put("/Bureau/secret-pv.txt", "confidentiel")
	w.put("/Bureau/secret-pv.txt", "confidentiel v2")
	w.mustCall(200, "PUT", "/api/v1/tags/Bureau/secret-pv.txt", map[string]any{"tags": []string{"ag"}})
	w.mustCall(200, "PUT", "/api/v1/tags/Partenaires/convention.txt", map[string]any{"tags": []string{"ag"}})
	w.mustCall(200, "POST", "/api/v1/move", map[string]any{"from": "/Partenaires/convention.txt", "to": "/Partenaires/convention-2026.txt"})
	w.mustCall(200, "POST", "/api/v1/move", map[string]any{"from": "/Bureau/secret-pv.txt", "to": "/Bureau/secret-pv-2026.txt"})
	w.put("/Partenaires/brouillon.txt", "x")
	if st := w.admin.call("DELETE", "/api/v1/files/Partenaires/brouillon.txt", nil, nil); st != 204 {
		t.Fatalf("delete: %d", st)
	}
	col := w.mustCall(201, "POST", "/api/v1/collections", map[string]any{"title": "Pour les partenaires",
		"audience": map[string]any{"members": false, "groups": []string{"partenaires"}}})
	cid := int64(col["id"].(float64))
	col = w.mustCall(200, "PUT", fmt.Sprintf("/api/v1/collections/%d/items", cid), map[string]any{"items": []map[string]any{
		{"path": "/Partenaires/convention-2026.txt", "note": "à signer"}, {"path": "/Bureau/secret-pv-2026.txt"}}})
	if ws, _ := col["warnings"].([]any); len(ws) != 1 || !strings.Contains(fmt.Sprint(ws[0]), "lea") {
		t.Fatalf("the editor is not warned that lea cannot read the PV: %v", col["warnings"])
	}

	// lea (guest in partenaires) asks for her feed token.
	lea := w.users["lea"]
	var tok map[string]any
	if st := lea.call("POST", "/api/v1/me/feed-token", nil, &tok); st != 201 {
		t.Fatalf("feed token: %d", st)
	}
	token := tok["token"].(string)
	feeds := []string{"/api/v1/feeds/all.atom", "/api/v1/feeds/folder/Partenaires", "/api/v1/feeds/tag/ag",
		fmt.Sprintf("/api/v1/feeds/collection/%d", cid)}
	for _, path := range feeds {
		st, f := fetchFeed(t, w.srv, path+"?token="+token)
		if st != 200 {
			t.Fatalf("%s: %d", path, st)
		}
		if bad := entriesMention(f, "Bureau"); len(bad) > 0 {
			t.Fatalf("%s shows lea what she may not read: %v", path, bad)
		}
		if len(entriesMention(f, "convention")) == 0 {
			t.Fatalf("%s: lea's own documents missing: %d entries", path, len(f.Items))
		}
	}
	// Entries say what changed and link to the document where it is now.
	_, f := fetchFeed(t, w.srv, "/api/v1/feeds/folder/Partenaires?token="+token)
	kinds := map[string]bool{}
	for _, it := range f.Items {
		kinds[it.Description] = true
		if strings.Contains(it.Title, "convention") && !strings.HasSuffix(it.Link, "/file/Partenaires/convention-2026.txt") {
			t.Fatalf("entry links to %s", it.Link)
		}
	}
	for _, k := range []string{"Nouveau fichier", "Nouvelle version", "Déplacé ou renommé", "Supprimé (mis à la corbeille)"} {
		if !kinds[k] {
			t.Fatalf("no %q entry in %v", k, kinds)
		}
	}
	// What lea may not see does not exist, even as a feed.
	if st, _ := fetchFeed(t, w.srv, "/api/v1/feeds/folder/Bureau?token="+token); st != 404 {
		t.Fatalf("lea follows /Bureau: %d", st)
	}
	// The admin's feed does show the Bureau.
	var at map[string]any
	w.admin.call("POST", "/api/v1/me/feed-token", nil, &at)
	if _, f := fetchFeed(t, w.srv, "/api/v1/feeds/all.atom?token="+at["token"].(string)); len(entriesMention(f, "Bureau")) == 0 {
		t.Fatal("the admin's feed misses the Bureau")
	}
	// Public feeds, without a token: public folders only.
	st, pub := fetchFeed(t, w.srv, "/api/v1/feeds/all.atom")
	if st != 200 || len(entriesMention(pub, "affiche")) == 0 || len(entriesMention(pub, "Bureau")) > 0 || len(entriesMention(pub, "convention")) > 0 {
		t.Fatalf("public feed: %d %+v", st, pub)
	}
	if st, _ := fetchFeed(t, w.srv, "/api/v1/feeds/folder/Public"); st != 200 {
		t.Fatalf("public folder feed: %d", st)
	}
	if st, _ := fetchFeed(t, w.srv, "/api/v1/feeds/folder/Partenaires"); st == 200 {
		t.Fatal("a private folder's feed without a token")
	}
	// A regenerated token replaces the old one.
	lea.call("POST", "/api/v1/me/feed-token", nil, &tok)
	if st, _ := fetchFeed(t, w.srv, "/api/v1/feeds/all.atom?token="+token); st != 404 {
		t.Fatalf("old token: %d", st)
	}
	if st, _ := fetchFeed(t, w.srv, "/api/v1/feeds/all.atom?token="+tok["token"].(string)); st != 200 {
		t.Fatalf("new token: %d", st)
	}
}

func TestCollectionKeepsMovedDocuments(t *testing.T) {
	w := newWorld(t, server.Options{})
	w.mustCall(201, "POST", "/api/v1/folders/Accueil", nil)
	w.put("/Accueil/statuts.txt", "statuts")
	w.put("/Accueil/charte.txt", "charte")
	w.mustCall(200, "PUT", "/api/v1/tags/Accueil/statuts.txt", map[string]any{"tags": []string{"essentiel"}})
	col := w.mustCall(201, "POST", "/api/v1/collections", map[string]any{"title": "Bienvenue", "description": "Lisez **tout**",
		"welcome": true, "audience": map[string]any{"members": true}})
	id := int64(col["id"].(float64))
	w.mustCall(200, "PUT", fmt.Sprintf("/api/v1/collections/%d/items", id), map[string]any{"items": []map[string]any{
		{"path": "/Accueil/statuts.txt", "note": "d'abord"}, {"path": "/Accueil/charte.txt"}}})
	w.mustCall(201, "POST", "/api/v1/folders/Archives", nil)
	w.mustCall(200, "POST", "/api/v1/move", map[string]any{"from": "/Accueil/statuts.txt", "to": "/Archives/statuts-2026.txt"})
	var got struct {
		Items []struct {
			ID   int64  `json:"id"`
			Note string `json:"note"`
			Node node   `json:"node"`
		} `json:"items"`
		Read, Total int
	}
	marie := w.users["marie"]
	if st := marie.call("GET", fmt.Sprintf("/api/v1/collections/%d", id), nil, &got); st != 200 || len(got.Items) != 2 ||
		got.Items[0].Node.Path != "/Archives/statuts-2026.txt" || got.Items[0].Note != "d'abord" {
		t.Fatalf("after move: %d %+v", st, got)
	}
	var n node
	if marie.call("GET", "/api/v1/stat/Archives/statuts-2026.txt", nil, &n); len(n.Tags) != 1 || n.Tags[0] != "essentiel" {
		t.Fatalf("tags after move: %+v", n)
	}
	// Progress: a checkbox (the API's read mark), then the welcome is done.
	for _, it := range got.Items {
		if st := marie.call("PUT", fmt.Sprintf("/api/v1/collections/%d/items/%d/read", id, it.ID), map[string]any{"read": true}, &got); st != 200 {
			t.Fatalf("mark read: %d", st)
		}
	}
	var wel map[string]any
	if marie.call("GET", "/api/v1/welcome", nil, &wel); wel["collection"] != nil {
		t.Fatalf("finished welcome still shown: %v", wel)
	}
	var prog struct {
		People []struct {
			Login    string `json:"login"`
			Finished bool   `json:"finished"`
		} `json:"people"`
	}
	w.admin.call("GET", fmt.Sprintf("/api/v1/collections/%d/progress", id), nil, &prog)
	finished := map[string]bool{}
	for _, pp := range prog.People {
		finished[pp.Login] = pp.Finished
	}
	if !finished["marie"] || finished["admin"] {
		t.Fatalf("progress: %+v", prog)
	}
	if st := marie.call("GET", fmt.Sprintf("/api/v1/collections/%d/progress", id), nil, nil); st != 403 {
		t.Fatalf("marie sees others' progress: %d", st)
	}
	if st := w.users["paul"].call("GET", fmt.Sprintf("/api/v1/collections/%d", id), nil, nil); st != 404 {
		t.Fatalf("a guest outside the audience sees it: %d", st)
	}
}
