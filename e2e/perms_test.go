package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

// The permission matrix: every door × every kind of person × every
// operation, against the real server. A door is a name and the operations
// it offers; adding one (WebDAV, search) is a door below plus its rows.
// Its second half, in perms_names_test.go, is the name matrix: every side
// door (activity, collections, tags, quota, error messages) × every kind of
// person, where no answer may name what the person may not read.

// outcome is what an operation must do.
type outcome int

const (
	na      outcome = iota // the door has no such operation
	allow                  // 2xx
	hidden                 // the target does not exist for them: 404 (401 to a visitor on the API, asked to log in)
	refused                // 403: they see it but may not do this
)

func (o outcome) String() string {
	if o > refused {
		return fmt.Sprintf("unexpected HTTP %d", o-100)
	}
	return [...]string{"n/a", "allow", "hidden", "refused"}[o]
}

// ops are list, read, write, move, delete, restore, share.
var opNames = []string{"list", "read", "write", "move", "delete", "restore", "share"}

// who is the person acting: a client (Basic credentials, or none), and
// for the link holder the share-link token.
type who struct {
	name   string
	c      *client
	token  string
	logged bool
}

// op runs one operation through a door as w on the target prepared for
// w.name, and returns the HTTP status (599: allowed, but wrong content).
type op func(t *testing.T, wd *world, w who) int

type door struct {
	name string
	ops  map[string]op
}

const bureauDoc = "procès-verbal du bureau, confidentiel"

var doors = []door{
	{"api", map[string]op{
		"list": func(t *testing.T, wd *world, w who) int { return w.c.call("GET", "/api/v1/list/Bureau", nil, nil) },
		"read": func(t *testing.T, wd *world, w who) int {
			return w.c.call("GET", "/api/v1/stat/Bureau/doc.txt", nil, nil)
		},
		"write": func(t *testing.T, wd *world, w who) int {
			st, _ := w.c.put("/Bureau/nouveau-"+w.name+".txt", []byte("x"))
			return st
		},
		"move": func(t *testing.T, wd *world, w who) int {
			return w.c.call("POST", "/api/v1/move", map[string]any{"from": "/Bureau/bouge-" + w.name + ".txt", "to": "/Bureau/bougé-" + w.name + ".txt"}, nil)
		},
		"delete": func(t *testing.T, wd *world, w who) int {
			return w.c.call("DELETE", "/api/v1/files/"+escapePath("/Bureau/efface-"+w.name+".txt"), nil, nil)
		},
		"restore": func(t *testing.T, wd *world, w who) int {
			return w.c.call("POST", fmt.Sprintf("/api/v1/trash/%d/restore", wd.trash[w.name]), nil, nil)
		},
		"share": func(t *testing.T, wd *world, w who) int {
			return w.c.call("POST", "/api/v1/shares", map[string]any{"path": "/Bureau/doc.txt"}, nil)
		},
	}},
	{"webdav", map[string]op{
		"list": func(t *testing.T, wd *world, w who) int {
			resp := w.c.do("PROPFIND", "/dav/Bureau/", strings.NewReader(""), map[string]string{"Depth": "1"})
			resp.Body.Close()
			return resp.StatusCode
		},
		"read": func(t *testing.T, wd *world, w who) int {
			resp := w.c.do("GET", "/dav/Bureau/doc.txt", nil, nil)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return content(resp.StatusCode, body, nil)
		},
		"write": func(t *testing.T, wd *world, w who) int {
			resp := w.c.do("PUT", "/dav/Bureau/"+escapePath("nouveau-dav-"+w.name+".txt"), strings.NewReader("x"), nil)
			resp.Body.Close()
			return resp.StatusCode
		},
		"move": func(t *testing.T, wd *world, w who) int {
			resp := w.c.do("MOVE", "/dav/Bureau/"+escapePath("bouge-dav-"+w.name+".txt"), nil,
				map[string]string{"Destination": wd.srv.URL + "/dav/Bureau/" + escapePath("bougé-dav-"+w.name+".txt")})
			resp.Body.Close()
			return resp.StatusCode
		},
		"delete": func(t *testing.T, wd *world, w who) int {
			resp := w.c.do("DELETE", "/dav/Bureau/"+escapePath("efface-dav-"+w.name+".txt"), nil, nil)
			resp.Body.Close()
			return resp.StatusCode
		},
	}},
	{"download", map[string]op{
		"read": func(t *testing.T, wd *world, w who) int { return content(w.c.get("Bureau/doc.txt?download=1", nil)) },
	}},
	{"version download", map[string]op{
		"list": func(t *testing.T, wd *world, w who) int {
			return w.c.call("GET", "/api/v1/versions/Bureau/doc.txt", nil, nil)
		},
		"read": func(t *testing.T, wd *world, w who) int { return content(w.c.get("Bureau/doc.txt?version=1", nil)) },
	}},
	{"search", map[string]op{
		// Found with its snippet: allow; nothing at all (no hit, no count): hidden.
		"read": func(t *testing.T, wd *world, w who) int {
			waitFound(t, wd.users["admin"], "confidentiel", "/Bureau/doc.txt")
			st, r := w.c.search("confidentiel")
			if st != 200 {
				return st
			}
			for _, h := range r.Hits {
				if h.Path == "/Bureau/doc.txt" && strings.Contains(strings.Join(h.Snippets, " "), "confidentiel") {
					return 200
				}
			}
			if r.Total == 0 && len(r.Hits) == 0 {
				return 404
			}
			return 599
		},
	}},
	{"preview", map[string]op{
		// The thumbnail of a photo of /Bureau: served (allow) or the
		// download's 404 (hidden).
		"read": func(t *testing.T, wd *world, w who) int {
			waitStatus(t, wd.users["admin"], "/thumb/Bureau/photo.png", 200, 2*time.Minute)
			st, body, _ := w.c.raw("/thumb/Bureau/photo.png", nil)
			if st == 200 && !bytes.HasPrefix(body, []byte("\xff\xd8")) {
				return 599
			}
			return st
		},
	}},
	{"feed", map[string]op{
		// The folder's Atom feed: its entries name files of /Bureau (allow),
		// or the feed does not exist for them (hidden).
		"read": func(t *testing.T, wd *world, w who) int {
			resp := w.c.do("GET", "/api/v1/feeds/folder/Bureau", nil, nil)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode == 200 && !strings.Contains(string(body), "/Bureau/") {
				return 599
			}
			return resp.StatusCode
		},
	}},
	{"share link", map[string]op{
		"list": func(t *testing.T, wd *world, w who) int {
			st, _, _ := newBrowser(t, wd.srv).do("GET", "/s/"+w.link()+"/browse/", nil, nil)
			return st
		},
		"read": func(t *testing.T, wd *world, w who) int {
			st, body, _ := newBrowser(t, wd.srv).do("GET", "/s/"+w.link()+"/file/doc.txt", nil, nil)
			if st == 200 && body != bureauDoc {
				return 599
			}
			return st
		},
		"write": func(t *testing.T, wd *world, w who) int {
			b := newBrowser(t, wd.srv)
			b.do("GET", "/s/"+w.link()+"/", nil, nil) // the page sets the CSRF cookie
			st, _ := b.upload("/s/"+w.link()+"/upload", map[string]string{"ajout.txt": "x"})
			return st
		},
	}},
	{"share preview", map[string]op{
		// The thumbnail of the photo through the link: the link's own
		// check, as its downloads (allow), or the unknown link's 404.
		"read": func(t *testing.T, wd *world, w who) int {
			waitStatus(t, wd.users["admin"], "/thumb/Bureau/photo.png", 200, 2*time.Minute)
			st, body, _ := newBrowser(t, wd.srv).do("GET", "/s/"+w.link()+"/thumb/photo.png", nil, nil)
			if st == 200 && !strings.HasPrefix(body, "\xff\xd8") {
				return 599
			}
			return st
		},
	}},
}

// content maps a download to its status, 599 if the bytes are wrong.
func content(st int, body []byte, _ http.Header) int {
	if st == 200 && string(body) != bureauDoc {
		return 599
	}
	return st
}

// link is the token w uses: the real one for the link holder, a
// well-formed guess for everyone else.
func (w who) link() string {
	if w.token != "" {
		return w.token
	}
	return "AAAAAAAAAAAAAAAAAAAAAAAA"
}

// The expected outcomes. /Bureau: members are editors (from the root),
// the group "partenaires" (lea) viewer, paul has nothing, and the link
// holder has a viewer link to /Bureau.
var matrix = []struct {
	door, who string
	want      [7]outcome // list, read, write, move, delete, restore, share
}{
	{"api", "admin", [7]outcome{allow, allow, allow, allow, allow, allow, allow}},
	{"api", "member", [7]outcome{allow, allow, allow, allow, allow, allow, refused}},
	{"api", "guest", [7]outcome{hidden, hidden, hidden, hidden, hidden, hidden, hidden}},
	{"api", "group member", [7]outcome{allow, allow, refused, refused, refused, hidden, refused}},
	{"api", "anonymous", [7]outcome{hidden, hidden, hidden, hidden, hidden, hidden, hidden}},
	{"api", "link holder", [7]outcome{hidden, hidden, hidden, hidden, hidden, hidden, hidden}},

	// WebDAV has no trash or sharing of its own: those go through the API.
	{"webdav", "admin", [7]outcome{allow, allow, allow, allow, allow}},
	{"webdav", "member", [7]outcome{allow, allow, allow, allow, allow}},
	{"webdav", "guest", [7]outcome{hidden, hidden, hidden, hidden, hidden}},
	{"webdav", "group member", [7]outcome{allow, allow, refused, refused, refused}},
	{"webdav", "anonymous", [7]outcome{hidden, hidden, hidden, hidden, hidden}},
	{"webdav", "link holder", [7]outcome{hidden, hidden, hidden, hidden, hidden}},

	{"download", "admin", [7]outcome{na, allow}},
	{"download", "member", [7]outcome{na, allow}},
	{"download", "guest", [7]outcome{na, hidden}},
	{"download", "group member", [7]outcome{na, allow}},
	{"download", "anonymous", [7]outcome{na, hidden}},
	{"download", "link holder", [7]outcome{na, hidden}},

	{"version download", "admin", [7]outcome{allow, allow}},
	{"version download", "member", [7]outcome{allow, allow}},
	{"version download", "guest", [7]outcome{hidden, hidden}},
	{"version download", "group member", [7]outcome{allow, allow}},
	{"version download", "anonymous", [7]outcome{hidden, hidden}},
	{"version download", "link holder", [7]outcome{hidden, hidden}},

	{"search", "admin", [7]outcome{na, allow}},
	{"search", "member", [7]outcome{na, allow}},
	{"search", "guest", [7]outcome{na, hidden}},
	{"search", "group member", [7]outcome{na, allow}},
	{"search", "anonymous", [7]outcome{na, hidden}},
	{"search", "link holder", [7]outcome{na, hidden}},

	{"preview", "admin", [7]outcome{na, allow}},
	{"preview", "member", [7]outcome{na, allow}},
	{"preview", "guest", [7]outcome{na, hidden}},
	{"preview", "group member", [7]outcome{na, allow}},
	{"preview", "anonymous", [7]outcome{na, hidden}},
	{"preview", "link holder", [7]outcome{na, hidden}},

	{"feed", "admin", [7]outcome{na, allow}},
	{"feed", "member", [7]outcome{na, allow}},
	{"feed", "guest", [7]outcome{na, hidden}},
	{"feed", "group member", [7]outcome{na, allow}},
	{"feed", "anonymous", [7]outcome{na, hidden}},
	{"feed", "link holder", [7]outcome{na, hidden}},

	// Through a link, only the link counts: who you are does not.
	{"share link", "admin", [7]outcome{hidden, hidden, hidden}},
	{"share link", "member", [7]outcome{hidden, hidden, hidden}},
	{"share link", "guest", [7]outcome{hidden, hidden, hidden}},
	{"share link", "group member", [7]outcome{hidden, hidden, hidden}},
	{"share link", "anonymous", [7]outcome{hidden, hidden, hidden}},
	{"share link", "link holder", [7]outcome{allow, allow, refused}},

	{"share preview", "admin", [7]outcome{na, hidden}},
	{"share preview", "member", [7]outcome{na, hidden}},
	{"share preview", "guest", [7]outcome{na, hidden}},
	{"share preview", "group member", [7]outcome{na, hidden}},
	{"share preview", "anonymous", [7]outcome{na, hidden}},
	{"share preview", "link holder", [7]outcome{na, allow}},
}

func TestPermissionMatrix(t *testing.T) {
	wd := newWorld(t, server.Options{})
	wd.mustCall(201, "POST", "/api/v1/folders/Bureau", nil)
	wd.put("/Bureau/doc.txt", bureauDoc)
	wd.put("/Bureau/photo.png", string(posterPNG(t, 64, 48)))
	wd.put("/Bureau/doc.txt", "version 2")
	wd.mustCall(200, "POST", "/api/v1/restore-version", map[string]any{"path": "/Bureau/doc.txt", "version": 1})
	wd.mustCall(200, "POST", "/api/v1/grants/Bureau", map[string]any{"principal": "group:partenaires", "role": "viewer"})
	token, _ := wd.share(map[string]any{"path": "/Bureau", "kind": "viewer"})
	people := []who{
		{name: "admin", c: wd.users["admin"], logged: true},
		{name: "member", c: wd.users["marie"], logged: true},
		{name: "guest", c: wd.users["paul"], logged: true},
		{name: "group member", c: wd.users["lea"], logged: true},
		{name: "anonymous", c: wd.users[""]},
		{name: "link holder", c: wd.users[""], token: token},
	}
	wd.trash = map[string]int64{}
	for _, w := range people {
		wd.put("/Bureau/bouge-"+w.name+".txt", "x")
		wd.put("/Bureau/efface-"+w.name+".txt", "x")
		wd.put("/Bureau/bouge-dav-"+w.name+".txt", "x")
		wd.put("/Bureau/efface-dav-"+w.name+".txt", "x")
		wd.trash[w.name] = wd.trashed("/Bureau/jeté-" + w.name + ".txt")
	}
	byName := map[string]who{}
	for _, w := range people {
		byName[w.name] = w
	}
	doorByName := map[string]door{}
	for _, d := range doors {
		doorByName[d.name] = d
	}
	for _, row := range matrix {
		d, w := doorByName[row.door], byName[row.who]
		for i, name := range opNames {
			want := row.want[i]
			run, ok := d.ops[name]
			if (want == na) != !ok {
				t.Errorf("%s: the table and the door disagree on whether %q exists", row.door, name)
				continue
			}
			if !ok {
				continue
			}
			t.Run(row.door+"/"+row.who+"/"+name, func(t *testing.T) {
				st := run(t, wd, w)
				if got := classify(st, row.door, w); got != want {
					t.Errorf("status %d (%v), want %v", st, got, want)
				}
			})
		}
	}
}

// classify turns a status into an outcome; a visitor asking the API for
// something hidden is asked to log in (401), which reveals nothing either.
func classify(st int, door string, w who) outcome {
	switch {
	case st >= 200 && st < 300:
		return allow
	case st == 404:
		return hidden
	case st == 401 && !w.logged && door != "share link":
		return hidden
	case st == 403:
		return refused
	case st == 409 && door == "webdav":
		// RFC 4918: a PUT or MOVE whose parent folder does not exist is a
		// 409, the same answer whether it is missing or hidden.
		return hidden
	}
	return outcome(100 + st) // prints as a surprise
}

// Guessing ids or paths of what one may not read gives 404 (401 to a
// visitor), and the answer is the same whether it exists or not: no name
// leaks.
func TestGuessingRevealsNothing(t *testing.T) {
	wd := newWorld(t, server.Options{})
	wd.mustCall(201, "POST", "/api/v1/folders/Bureau/Confidentiel?parents=1", nil)
	wd.put("/Bureau/Confidentiel/budget-secret.txt", "chiffres")
	wd.trashed("/Bureau/ancien-secret.txt")
	secrets := []string{"Bureau", "Confidentiel", "budget-secret", "ancien-secret"}
	for _, login := range []string{"paul", ""} {
		c := wd.users[login]
		want := map[string]int{"paul": 404, "": 401}[login]
		check := func(what string, st int, body string) {
			t.Helper()
			if st != want {
				t.Errorf("%s %s: status %d, want %d", login, what, st, want)
			}
			for _, s := range secrets {
				if strings.Contains(body, s) && !strings.Contains(what, s) {
					t.Errorf("%s %s: answer names %q: %s", login, what, s, body)
				}
			}
		}
		for id := 1; id <= 12; id++ {
			st, body := raw(c, "GET", fmt.Sprintf("/api/v1/nodes/%d", id))
			check(fmt.Sprintf("node %d", id), st, body)
			st, body = raw(c, "POST", fmt.Sprintf("/api/v1/trash/%d/restore", id))
			check(fmt.Sprintf("restore %d", id), st, body)
		}
		pairs := []struct{ method, real, fake string }{
			{"GET", "/api/v1/stat/Bureau/Confidentiel/budget-secret.txt", "/api/v1/stat/Bureau/Confidentiel/rien.txt"},
			{"GET", "/api/v1/files/Bureau/Confidentiel/budget-secret.txt/x", "/api/v1/files/Bureau/Confidentiel/rien.txt/x"},
			{"GET", "/api/v1/list/Bureau/Confidentiel", "/api/v1/list/Bureau/Rien"},
			{"PUT", "/api/v1/files/Bureau/Confidentiel", "/api/v1/files/Bureau/Rien"},
			{"POST", "/api/v1/folders/Bureau/Confidentiel/budget-secret.txt/x", "/api/v1/folders/Bureau/Confidentiel/rien.txt/x"},
			{"GET", "/api/v1/versions/Bureau/Confidentiel/budget-secret.txt", "/api/v1/versions/Bureau/Confidentiel/rien.txt"},
			{"GET", "/api/v1/grants/Bureau/Confidentiel", "/api/v1/grants/Bureau/Rien"},
		}
		for _, p := range pairs {
			st1, b1 := raw(c, p.method, p.real)
			st2, b2 := raw(c, p.method, p.fake)
			if st1 != want || st2 != want {
				t.Errorf("%s %s %s: %d / %d, want %d", login, p.method, p.real, st1, st2, want)
			}
			if n1, n2 := normalise(b1, p.real), normalise(b2, p.fake); n1 != n2 {
				t.Errorf("%s %s: answers differ:\n %s\n %s", login, p.method, n1, n2)
			}
		}
	}
}

func raw(c *client, method, path string) (int, string) {
	resp := c.do(method, path, strings.NewReader(""), nil)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// normalise removes the path asked for from an answer.
func normalise(body, path string) string {
	for _, p := range []string{"/api/v1/stat", "/api/v1/files", "/api/v1/list", "/api/v1/folders", "/api/v1/versions", "/api/v1/grants"} {
		path = strings.TrimPrefix(path, p)
	}
	path = strings.TrimSuffix(path, "/x")
	body = strings.ReplaceAll(body, path+"/x", "…")
	return strings.ReplaceAll(body, path, "…")
}
