package e2e

import (
	"io"
	"strings"
	"testing"

	"notreasso/internal/testutil/server"
)

// restrictedDoors are the doors the restricted-folder matrix adds to the
// main ones: a share link created above the restricted folder (it must not
// reach in), and the activity feed (it must not name what happens inside).
var restrictedDoors = []door{
	{"link above", map[string]op{
		"list": func(t *testing.T, wd *world, w who) int {
			st, body, _ := newBrowser(t, wd.srv).do("GET", "/s/"+w.aboveLink()+"/browse/Bureau", nil, nil)
			if st == 200 && !strings.Contains(body, "doc.txt") {
				return 599
			}
			return st
		},
		"read": func(t *testing.T, wd *world, w who) int {
			st, body, _ := newBrowser(t, wd.srv).do("GET", "/s/"+w.aboveLink()+"/file/Bureau/doc.txt?download=1", nil, nil)
			if st == 200 && body != bureauDoc {
				return 599
			}
			return st
		},
	}},
	{"activity", map[string]op{
		// Entries about /Bureau's files: there (allow) or not at all (hidden).
		"read": func(t *testing.T, wd *world, w who) int {
			resp := w.c.do("GET", "/api/v1/activity?limit=1000", nil, nil)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			switch {
			case resp.StatusCode != 200:
				return resp.StatusCode
			case strings.Contains(string(body), "/Bureau/"):
				return 200
			}
			return 404
		},
	}},
}

// aboveLink is the token of the link on "/" for its holder, a guess for
// everyone else.
func (w who) aboveLink() string {
	if w.name == "link above holder" {
		return w.token
	}
	return "AAAAAAAAAAAAAAAAAAAAAAAA"
}

// The restricted-folder matrix: /Bureau is restricted (« accès restreint »)
// and given to the group "partenaires" (lea) as viewer. The members' editor
// grant on / stops at it: marie (member) now finds nothing there, through
// any door; lea and the admin keep what they had. A link on /Bureau itself
// works; a link on / does not reach into it.
var restrictedMatrix = []struct {
	door, who string
	want      [7]outcome // list, read, write, move, delete, restore, share
}{
	{"api", "admin", [7]outcome{allow, allow, allow, allow, allow, allow, allow}},
	{"api", "member", [7]outcome{hidden, hidden, hidden, hidden, hidden, hidden, hidden}},
	{"api", "guest", [7]outcome{hidden, hidden, hidden, hidden, hidden, hidden, hidden}},
	{"api", "group member", [7]outcome{allow, allow, refused, refused, refused, hidden, refused}},
	{"api", "anonymous", [7]outcome{hidden, hidden, hidden, hidden, hidden, hidden, hidden}},
	{"api", "link holder", [7]outcome{hidden, hidden, hidden, hidden, hidden, hidden, hidden}},

	{"webdav", "admin", [7]outcome{allow, allow, allow, allow, allow}},
	{"webdav", "member", [7]outcome{hidden, hidden, hidden, hidden, hidden}},
	{"webdav", "guest", [7]outcome{hidden, hidden, hidden, hidden, hidden}},
	{"webdav", "group member", [7]outcome{allow, allow, refused, refused, refused}},
	{"webdav", "anonymous", [7]outcome{hidden, hidden, hidden, hidden, hidden}},

	{"download", "admin", [7]outcome{na, allow}},
	{"download", "member", [7]outcome{na, hidden}},
	{"download", "group member", [7]outcome{na, allow}},
	{"download", "anonymous", [7]outcome{na, hidden}},

	{"version download", "admin", [7]outcome{allow, allow}},
	{"version download", "member", [7]outcome{hidden, hidden}},
	{"version download", "group member", [7]outcome{allow, allow}},

	{"search", "admin", [7]outcome{na, allow}},
	{"search", "member", [7]outcome{na, hidden}},
	{"search", "guest", [7]outcome{na, hidden}},
	{"search", "group member", [7]outcome{na, allow}},
	{"search", "anonymous", [7]outcome{na, hidden}},

	{"feed", "admin", [7]outcome{na, allow}},
	{"feed", "member", [7]outcome{na, hidden}},
	{"feed", "group member", [7]outcome{na, allow}},
	{"feed", "anonymous", [7]outcome{na, hidden}},

	{"activity", "admin", [7]outcome{na, allow}},
	{"activity", "member", [7]outcome{na, hidden}},
	{"activity", "guest", [7]outcome{na, hidden}},
	{"activity", "group member", [7]outcome{na, allow}},

	// A link on the restricted folder itself works as any link.
	{"share link", "link holder", [7]outcome{allow, allow, refused}},
	{"share link", "member", [7]outcome{hidden, hidden, hidden}},
	// A link on / was made before (or regardless of) the restriction: it
	// stops at the restricted folder, like the grants above it.
	{"link above", "link above holder", [7]outcome{hidden, hidden}},
	{"link above", "admin", [7]outcome{hidden, hidden}},
}

func TestPermissionMatrixRestricted(t *testing.T) {
	wd := newWorld(t, server.Options{})
	wd.mustCall(201, "POST", "/api/v1/folders/Bureau", nil)
	wd.put("/Bureau/doc.txt", bureauDoc)
	wd.put("/Bureau/doc.txt", "version 2")
	wd.mustCall(200, "POST", "/api/v1/restore-version", map[string]any{"path": "/Bureau/doc.txt", "version": 1})
	wd.mustCall(200, "POST", "/api/v1/grants/Bureau", map[string]any{"principal": "group:partenaires", "role": "viewer"})
	above, _ := wd.share(map[string]any{"path": "/", "kind": "viewer"})
	token, _ := wd.share(map[string]any{"path": "/Bureau", "kind": "viewer"})
	// Restricted last: the link on / and the members' grant were there before.
	if out := wd.mustCall(200, "PUT", "/api/v1/restricted/Bureau", map[string]any{"restricted": true}); out["restricted"] != true {
		t.Fatalf("restrict: %v", out)
	}
	// Before the matrix, the search must have indexed the document (the
	// admin finds it), so "hidden" for the member is the filter's doing.
	waitFound(t, wd.admin, "confidentiel", "/Bureau/doc.txt")
	people := []who{
		{name: "admin", c: wd.users["admin"], logged: true},
		{name: "member", c: wd.users["marie"], logged: true},
		{name: "guest", c: wd.users["paul"], logged: true},
		{name: "group member", c: wd.users["lea"], logged: true},
		{name: "anonymous", c: wd.users[""]},
		{name: "link holder", c: wd.users[""], token: token},
		{name: "link above holder", c: wd.users[""], token: above},
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
	for _, d := range append(append([]door{}, doors...), restrictedDoors...) {
		doorByName[d.name] = d
	}
	for _, row := range restrictedMatrix {
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
				door := row.door
				if door == "link above" {
					door = "share link"
				}
				if got := classify(st, door, w); got != want {
					t.Errorf("status %d (%v), want %v", st, got, want)
				}
			})
		}
	}
	// Lifting the restriction gives the member back the members' grant.
	wd.mustCall(200, "PUT", "/api/v1/restricted/Bureau", map[string]any{"restricted": false})
	if st := wd.users["marie"].call("GET", "/api/v1/stat/Bureau/doc.txt", nil, nil); st != 200 {
		t.Errorf("member after the restriction is lifted: %d", st)
	}
}
