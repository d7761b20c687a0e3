package e2e

import (
	"encoding/json"
	"io"
	"net/url"
	"strings"
	"testing"

	"notreasso/internal/testutil/server"
)

// Names Windows and macOS clients cannot show, or that disguise what a file
// is, are refused on every door with the rule named, in the visitor's
// language: API upload (whole and resumable), new folder, move, copy;
// WebDAV PUT, MKCOL, MOVE, COPY; the web forms (new folder, rename).
func TestUnportableNamesRefusedOnEveryDoor(t *testing.T) {
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	mkdirParents(c, "/Noms")
	if st, _ := c.put("/Noms/Rapport.txt", []byte("rapport")); st != 201 {
		t.Fatalf("put: %d", st)
	}
	type attempt struct {
		door, method, path string
		body               string
		hdr                map[string]string
	}
	api := func(method, path, body string) attempt {
		return attempt{"API " + method + " " + path, method, path, body, map[string]string{"Content-Type": "application/json", "Accept-Language": "en"}}
	}
	dav := func(method, name string, hdr map[string]string) attempt {
		body := "x"
		if method != "PUT" {
			body = ""
		}
		return attempt{"WebDAV " + method + " " + name, method, "/dav/Noms/" + url.PathEscape(name), body, hdr}
	}
	move := func(to string) string {
		b, _ := json.Marshal(map[string]string{"from": "/Noms/Rapport.txt", "to": to})
		return string(b)
	}
	tests := []struct {
		a    attempt
		want string // in the message
	}{
		{api("PUT", "/api/v1/files/"+escapePath("/Noms/NUL.txt"), "x"), "reserved by Windows"},
		{api("PUT", "/api/v1/files/"+escapePath("/Noms/facture\u202Efdp.exe"), "x"), "U+202E"},
		{api("PUT", "/api/v1/files/"+escapePath("/Noms/rapport.txt"), "x"), "from “Rapport.txt”"},
		{api("PUT", "/api/v1/files/"+escapePath("/Noms/fin."), "x"), "ends with a dot or a space"},
		{api("POST", "/api/v1/folders/"+escapePath("/Noms/COM1"), ""), "reserved by Windows"},
		{api("POST", "/api/v1/folders/"+escapePath("/Noms/a|b"), ""), "contains “|”"},
		{api("POST", "/api/v1/move", move("/Noms/réunion: ordre.txt")), "contains “:”"},
		{api("POST", "/api/v1/copy", move("/Noms/RAPPORT.TXT")), "from “Rapport.txt”"},
		{api("POST", "/api/v1/uploads", `{"path":"/Noms/pay\u200bpal.pdf","size":1}`), "invisible"},
		{dav("PUT", "AUX.txt", nil), "reserved by Windows"},
		{dav("PUT", "quoi?.txt", nil), "contains"},
		{dav("PUT", "RAPPORT.txt", nil), "Rapport.txt"},
		{dav("MKCOL", "LPT1", nil), "reserved by Windows"},
		{dav("MKCOL", "dossier ", nil), "ends with a dot or a space"},
		{dav("MOVE", "Rapport.txt", map[string]string{"Destination": srv.URL + "/dav/Noms/" + url.PathEscape(`a\b.txt`)}), "contains"},
		{dav("COPY", "Rapport.txt", map[string]string{"Destination": srv.URL + "/dav/Noms/" + url.PathEscape("x<y>.txt")}), "contains"},
	}
	for _, tt := range tests {
		var body io.Reader
		if tt.a.body != "" {
			body = strings.NewReader(tt.a.body)
		}
		resp := c.do(tt.a.method, tt.a.path, body, tt.a.hdr)
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(msg), tt.want) {
			t.Errorf("%s: %d %s; want 400 saying %q", tt.a.door, resp.StatusCode, msg, tt.want)
		}
	}
	var l struct{ Children []node }
	if c.call("GET", "/api/v1/list/Noms", nil, &l); len(l.Children) != 1 {
		t.Errorf("/Noms holds %d items after the refusals, want 1: %+v", len(l.Children), l.Children)
	}
	// A rename to another case of the same name is not a collision.
	if st := c.call("POST", "/api/v1/move", json.RawMessage(move("/Noms/rapport.txt")), nil); st != 200 {
		t.Errorf("case-only rename: %d", st)
	}

	// The web forms say which rule, in French and in English.
	b := newBrowser(t, srv)
	if st := b.login("admin", server.AdminPassword); st != 200 {
		t.Fatalf("login: %d", st)
	}
	for _, f := range []struct {
		action string
		form   url.Values
		key    string
		fr, en string
	}{
		{"/do/mkdir", url.Values{"path": {"/Noms"}, "name": {"CON"}}, "name_device", "réservé par Windows", "reserved by Windows"},
		{"/do/rename", url.Values{"path": {"/Noms/rapport.txt"}, "name": {"bilan|2026.txt"}}, "name_character", "ne peut pas contenir", "cannot contain"},
		{"/do/mkdir", url.Values{"path": {"/Noms"}, "name": {"RAPPORT.txt"}}, "name_case", "majuscules et minuscules", "upper and lower case"},
	} {
		f.form.Set("back", "/browse/Noms")
		f.form.Set("_csrf", b.cookie("notreasso_csrf"))
		st, _, hdr := b.do("POST", f.action, strings.NewReader(f.form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		loc := hdr.Get("Location")
		if st != 303 || !strings.Contains(loc, "err="+f.key) {
			t.Errorf("%s %v: %d → %q, want err=%s", f.action, f.form["name"], st, loc, f.key)
			continue
		}
		for lang, want := range map[string]string{"fr": f.fr, "en": f.en} {
			if _, page, _ := b.do("GET", loc, nil, map[string]string{"Accept-Language": lang, "Cookie": ""}); !strings.Contains(page, want) {
				t.Errorf("%s page in %s lacks %q", f.key, lang, want)
			}
		}
	}
}
