package e2e

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

// The name matrix: every side door × every kind of person. Whatever the
// status, no response body may name a node the person may not read, nor
// a server path. A door is a probe below; adding one is one entry (and,
// where a door must show something, what it must show, so that a probe
// that reaches nothing fails).

// leakWorld is a world where members may edit /Shared only; /Secret is
// the administrators'. Things moved and copied out of /Secret, tags on
// secret files, a missing blob and a collection are set up for the probes.
type leakWorld struct {
	*world
	secretID   int64  // /Secret/plan.txt
	collection int64  // a collection made by marie
	token      string // a viewer link to /Shared
	marieTerm  int64  // her ended term as secretary, elected by minutes in /Secret
}

// secretNames must never reach anyone but administrators.
var secretNames = []string{"Secret", "plan.txt", "xylo", "tagsecret"}

type leakProbe struct {
	name string
	run  func(t *testing.T, lw *leakWorld, w who) (int, string)
	// sees: what the body must contain for a given person, proving the
	// probe reaches the data (admins see the secrets themselves).
	sees map[string][]string
}

func htmlGet(w who, path string) (int, string) {
	resp := w.c.do("GET", path, nil, map[string]string{"Accept": "text/html", "Accept-Language": "fr"})
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func body(w who, method, path, in string, hdr map[string]string) (int, string) {
	var r io.Reader
	if in != "" {
		r = strings.NewReader(in)
	}
	resp := w.c.do(method, path, r, hdr)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var jsonHdr = map[string]string{"Content-Type": "application/json"}

const quotaPropfind = `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:displayname/>` +
	`<D:quota-used-bytes/><D:quota-available-bytes/><D:lockdiscovery/></D:prop></D:propfind>`

var leakProbes = []leakProbe{
	{name: "activity page", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		st, b := htmlGet(w, "/activity")
		// Grants are administration: for the folder's managers only.
		if w.name != "admin" && (strings.Contains(b, "act.grant_add") || strings.Contains(b, "a changé les droits")) {
			return 599, b
		}
		return st, b
	},
		sees: map[string][]string{
			"admin":  {"/Secret/xylo-codename.txt", "/Secret/plan.txt", "a changé les droits sur /Shared"},
			"member": {"codename.txt", "depuis un dossier auquel vous n’avez pas accès"},
			"guest":  {"codename.txt", "depuis un dossier auquel vous n’avez pas accès"},
		}},
	{name: "activity page of /Shared", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		return htmlGet(w, "/activity?folder=/Shared")
	}, sees: map[string][]string{"group member": {"codename.txt"}}},
	{name: "activity API", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		return body(w, "GET", "/api/v1/activity", "", nil)
	}, sees: map[string][]string{"admin": {"/Secret/plan.txt"}, "member": {"codename.txt", `"from_hidden":true`}}},
	{name: "activity API of /Shared", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		return body(w, "GET", "/api/v1/activity?folder=/Shared", "", nil)
	}, sees: map[string][]string{"guest": {"plan-copie.txt"}}},
	{name: "Atom feed", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		return body(w, "GET", "/api/v1/feeds/all.atom", "", nil)
	}, sees: map[string][]string{"admin": {"/Secret/plan.txt"}, "member": {"codename.txt"}}},
	{name: "collection items by id", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		return body(w, "PUT", fmt.Sprintf("/api/v1/collections/%d/items", lw.collection),
			fmt.Sprintf(`{"items":[{"node_id":%d}]}`, lw.secretID), jsonHdr)
	}},
	{name: "collection items by id, one per folder level", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		var all strings.Builder
		for id := int64(1); id <= lw.secretID+2; id++ {
			_, b := body(w, "PUT", fmt.Sprintf("/api/v1/collections/%d/items", lw.collection),
				fmt.Sprintf(`{"items":[{"path":"/Shared/notes.txt"},{"node_id":%d}]}`, id), jsonHdr)
			all.WriteString(b)
		}
		return 200, all.String()
	}},
	{name: "collection items by path", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		st, b := body(w, "PUT", fmt.Sprintf("/api/v1/collections/%d/items", lw.collection),
			`{"items":[{"path":"/Shared/notes.txt"},{"path":"/Secret/plan.txt"}]}`, jsonHdr)
		return st, b
	}},
	{name: "collection", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		return body(w, "GET", fmt.Sprintf("/api/v1/collections/%d", lw.collection), "", nil)
	}},
	{name: "tag list", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		st, b := body(w, "GET", "/api/v1/tags", "", nil)
		if w.name == "member" && !strings.Contains(b, `{"name":"budget","count":1}`) {
			return 599, b // the secret file is counted
		}
		return st, b
	}, sees: map[string][]string{"admin": {"tagsecret"}, "member": {"budget"}}},
	{name: "tag page", run: func(t *testing.T, lw *leakWorld, w who) (int, string) { return htmlGet(w, "/tags/budget") },
		sees: map[string][]string{"admin": {"plan.txt"}, "member": {"notes.txt"}}},
	{name: "tag API", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		return body(w, "GET", "/api/v1/tag/budget", "", nil)
	}, sees: map[string][]string{"member": {"notes.txt"}}},
	{name: "PROPFIND with quota", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		st, b := body(w, "PROPFIND", "/dav/", quotaPropfind, map[string]string{"Depth": "1", "Content-Type": "application/xml"})
		// Nobody but the admin uploaded anything: their usage is 0, not
		// the repository's total (a dedupe oracle).
		if w.name != "admin" && st == 207 && !strings.Contains(b, "<D:quota-used-bytes>0</D:quota-used-bytes>") {
			return 599, b
		}
		return st, b
	}, sees: map[string][]string{"admin": {"Secret"}, "member": {"Shared", "quota-used-bytes"}}},
	{name: "missing blob over the API", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		return body(w, "GET", "/api/v1/files/Shared/perdu.txt", "", nil)
	}},
	{name: "missing blob over WebDAV", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		return body(w, "GET", "/dav/Shared/perdu.txt", "", nil)
	}},
	{name: "node by id", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		return body(w, "GET", fmt.Sprintf("/api/v1/nodes/%d", lw.secretID), "", nil)
	}},
	// Terms of office: the minutes that elected someone are named only to
	// who may read them.
	{name: "my terms API", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		return body(w, "GET", "/api/v1/me/terms", "", nil)
	}, sees: map[string][]string{"member": {"Secrétaire", "AG secrète"}, "guest": {"Président·e"}}},
	{name: "account page", run: func(t *testing.T, lw *leakWorld, w who) (int, string) { return htmlGet(w, "/account") },
		sees: map[string][]string{"member": {"Mes rôles", "AG secrète"}, "group member": {"Passation avec marie"}}},
	{name: "register API", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		return body(w, "GET", "/api/v1/admin/terms", "", nil)
	}, sees: map[string][]string{"admin": {"/Secret/plan.txt"}}},
	{name: "register CSV", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		return body(w, "GET", "/api/v1/admin/terms.csv", "", nil)
	}, sees: map[string][]string{"admin": {"/Secret/plan.txt"}}},
	{name: "register page", run: func(t *testing.T, lw *leakWorld, w who) (int, string) { return htmlGet(w, "/admin/terms") },
		sees: map[string][]string{"admin": {"/Secret/plan.txt"}}},
	{name: "handover page", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		return htmlGet(w, fmt.Sprintf("/handover/%d", lw.marieTerm))
	}, sees: map[string][]string{"group member": {"Accueil"}, "admin": {"Accueil"}}},
	{name: "suggestions as you type", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		// The index works in the background: wait until it holds the
		// secret file, as the administrator sees it.
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, b := body(who{c: lw.admin}, "GET", "/api/v1/suggest?q=pla", "", nil)
			if strings.Contains(b, "plan.txt") || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		var all strings.Builder
		for _, q := range []string{"pla", "xy", "tagse", "sec", "dos", "no", "cod"} {
			st, b := body(w, "GET", "/api/v1/suggest?q="+q, "", nil)
			if st != 200 {
				return st, b
			}
			all.WriteString(b)
		}
		if w.name != "admin" && strings.Contains(all.String(), "Dossier xylo de la direction") {
			return 599, all.String() // a collection not meant for them
		}
		return 200, all.String()
	}, sees: map[string][]string{"admin": {"plan.txt", "tagsecret", `"Secret"`, "Dossier xylo de la direction"}, "member": {"notes.txt", "codename.txt"}}},
	{name: "share link folder", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		tok := "AAAAAAAAAAAAAAAAAAAAAAAA"
		if w.token != "" {
			tok = w.token
		}
		st, b, _ := newBrowser(t, lw.srv).do("GET", "/s/"+tok+"/browse/", nil, nil)
		return st, b
	}, sees: map[string][]string{"link holder": {"codename.txt"}}},
	{name: "follow by e-mail, then « Mon compte »", run: func(t *testing.T, lw *leakWorld, w who) (int, string) {
		form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		for _, target := range []string{"/Secret", "/Shared"} {
			st, b := body(w, "POST", "/do/follow", "kind=folder&on=1&back=/account&target="+target, form)
			if st >= 500 || strings.Contains(b, "Secret") && w.name != "admin" {
				return st, b
			}
		}
		st, b := htmlGet(w, "/account")
		_, shared := htmlGet(w, "/browse/Shared")
		return st, b + shared
	}, sees: map[string][]string{"admin": {"/Secret", "/Shared", "follow-form"}, "member": {"/Shared", "follow-list"}}},
}

func newLeakWorld(t *testing.T) *leakWorld {
	wd := newWorld(t, server.Options{})
	lw := &leakWorld{world: wd}
	wd.mustCall(201, "POST", "/api/v1/folders/Secret", nil)
	wd.mustCall(201, "POST", "/api/v1/folders/Shared", nil)
	wd.mustCall(204, "DELETE", "/api/v1/grants?principal=members", nil)
	wd.mustCall(200, "POST", "/api/v1/grants/Shared", map[string]any{"principal": "members", "role": "editor"})
	wd.mustCall(200, "POST", "/api/v1/grants/Shared", map[string]any{"principal": "group:partenaires", "role": "viewer"})
	wd.mustCall(200, "POST", "/api/v1/grants/Shared", map[string]any{"principal": "user:paul", "role": "viewer"})
	wd.put("/Secret/plan.txt", "plan du projet")
	wd.put("/Secret/xylo-codename.txt", "nom de code")
	wd.put("/Shared/notes.txt", "notes")
	wd.put("/Shared/perdu.txt", "contenu perdu")
	wd.mustCall(200, "POST", "/api/v1/move", map[string]any{"from": "/Secret/xylo-codename.txt", "to": "/Shared/codename.txt"})
	wd.mustCall(201, "POST", "/api/v1/copy", map[string]any{"from": "/Secret/plan.txt", "to": "/Shared/plan-copie.txt"})
	wd.mustCall(200, "PUT", "/api/v1/tags/Secret/plan.txt", map[string]any{"tags": []string{"tagsecret", "budget"}})
	wd.mustCall(200, "PUT", "/api/v1/tags/Shared/notes.txt", map[string]any{"tags": []string{"budget"}})
	var n node
	if wd.admin.call("GET", "/api/v1/stat/Secret/plan.txt", nil, &n) != 200 {
		t.Fatal("stat /Secret/plan.txt")
	}
	lw.secretID = n.ID
	var col struct{ ID int64 }
	if st := wd.users["marie"].call("POST", "/api/v1/collections", map[string]any{"title": "Accueil", "audience": map[string]any{"members": true}}, &col); st != 201 {
		t.Fatalf("create collection: %d", st)
	}
	lw.collection = col.ID
	doc := "/Secret/plan.txt"
	term := wd.mustCall(201, "POST", "/api/v1/admin/terms", map[string]any{"role": "secretary", "login": "marie",
		"start": "2020-01-01", "end": "2021-01-01", "decision": "AG secrète", "decision_document": doc})
	lw.marieTerm = int64(term["id"].(float64))
	wd.mustCall(201, "POST", "/api/v1/admin/terms", map[string]any{"role": "secretary", "login": "lea", "start": "2021-01-01", "decision_document": doc})
	wd.mustCall(201, "POST", "/api/v1/admin/terms", map[string]any{"role": "president", "login": "paul", "start": "2021-01-01", "decision_document": doc})
	// A collection for a group none of the people probed is in: its title
	// holds a secret word, so every door is probed for it (the activity
	// feed once showed collection titles to everyone).
	wd.mustCall(201, "POST", "/api/v1/admin/groups", map[string]any{"name": "direction"})
	wd.mustCall(201, "POST", "/api/v1/collections", map[string]any{"title": "Dossier xylo de la direction", "audience": map[string]any{"members": false, "groups": []string{"direction"}}})
	lw.token, _ = wd.share(map[string]any{"path": "/Shared", "kind": "viewer"})
	// A blob lost from the store.
	var lost node
	wd.admin.call("GET", "/api/v1/stat/Shared/perdu.txt", nil, &lost)
	filepath.WalkDir(wd.srv.Data, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == lost.Hash {
			os.Chmod(p, 0o600)
			os.Remove(p)
		}
		return nil
	})
	return lw
}

func TestNoNameLeaks(t *testing.T) {
	lw := newLeakWorld(t)
	people := []who{
		{name: "member", c: lw.users["marie"], logged: true},
		{name: "guest", c: lw.users["paul"], logged: true},
		{name: "group member", c: lw.users["lea"], logged: true},
		{name: "anonymous", c: lw.users[""]},
		{name: "link holder", c: lw.users[""], token: lw.token},
		{name: "admin", c: lw.admin, logged: true}, // last: its writes change nothing the others read
	}
	serverPath := regexp.MustCompile(regexp.QuoteMeta(lw.srv.Data) + `|/blobs/[0-9a-f]{2}/`)
	for _, pr := range leakProbes {
		for _, w := range people {
			t.Run(pr.name+"/"+w.name, func(t *testing.T) {
				st, b := pr.run(t, lw, w)
				if st == 599 || st >= 500 && !strings.Contains(pr.name, "missing blob") {
					t.Errorf("status %d: %s", st, b)
				}
				if loc := serverPath.FindString(b); loc != "" {
					t.Errorf("status %d: the answer names a server path %q: %s", st, loc, b)
				}
				if w.name != "admin" {
					for _, s := range secretNames {
						if strings.Contains(b, s) {
							t.Errorf("status %d: the answer names %q:\n%s", st, s, excerpt(b, s))
						}
					}
				}
				for _, s := range pr.sees[w.name] {
					if !strings.Contains(b, s) {
						t.Errorf("status %d: the answer lacks %q (the probe reaches nothing?)", st, s)
					}
				}
			})
		}
	}
}

// excerpt is the text around the first occurrence of s.
func excerpt(b, s string) string {
	i := strings.Index(b, s)
	return b[max(0, i-200):min(len(b), i+len(s)+200)]
}
