package e2e

import (
	"io"
	"net/http"
	"net/url"
	"notreasso/internal/testutil/tier"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"notreasso/internal/testutil/browser"
	"notreasso/internal/testutil/server"
)

const lockBody = `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>` +
	`<D:locktype><D:write/></D:locktype><D:owner>Marie</D:owner></D:lockinfo>`

// davLock takes a WebDAV lock as c and returns its token.
func davLock(t *testing.T, c *client, path, depth string) string {
	t.Helper()
	resp := c.do("LOCK", "/dav"+path, strings.NewReader(lockBody), map[string]string{"Depth": depth, "Timeout": "Second-3600", "Content-Type": "application/xml"})
	resp.Body.Close()
	token := strings.Trim(resp.Header.Get("Lock-Token"), "<>")
	if resp.StatusCode != 200 || token == "" {
		t.Fatalf("LOCK %s: %d %q", path, resp.StatusCode, token)
	}
	return token
}

// A WebDAV lock held by Marie protects her file and folder from every
// other door: the API (423, saying who and until when), the web forms (a
// sentence), WebDAV itself. Her own save with the token still works
// afterwards (it used to fail with 412 once another door had changed the
// file), and an administrator or the folder's manager can break the lock,
// over WebDAV or from the file page.
func TestLocksHeldAcrossDoors(t *testing.T) {
	wd := newWorld(t, server.Options{})
	wd.mustCall(201, "POST", "/api/v1/admin/users", map[string]any{"login": "jean", "password": userPassword, "role": "member"})
	wd.mustCall(200, "PATCH", "/api/v1/admin/users/marie", map[string]any{"display_name": "Marie Curie"})
	jean := newClient(t, wd.srv, "jean", userPassword)
	marie := wd.users["marie"]
	for _, f := range []string{"/Asso", "/Verrou", "/Verrou/sous", "/Autre"} {
		wd.mustCall(201, "POST", "/api/v1/folders"+f, nil)
	}
	wd.put("/Asso/compte-rendu.txt", "v1")
	wd.put("/Asso/compte-rendu.txt", "v2")
	wd.put("/Verrou/dedans.txt", "d")
	wd.put("/Autre/source.txt", "s")
	fileToken := davLock(t, marie, "/Asso/compte-rendu.txt", "0")
	dirToken := davLock(t, marie, "/Verrou", "infinity")

	api := []struct {
		name         string
		method, path string
		body         any
		raw          string // a raw PUT body instead of JSON
	}{
		{"overwrite", "PUT", "/api/v1/files/Asso/compte-rendu.txt", nil, "écrasé"},
		{"copy onto", "POST", "/api/v1/copy", map[string]any{"from": "/Autre/source.txt", "to": "/Asso/compte-rendu.txt", "overwrite": true}, ""},
		{"restore a version", "POST", "/api/v1/restore-version", map[string]any{"path": "/Asso/compte-rendu.txt", "version": 1}, ""},
		{"delete", "DELETE", "/api/v1/files/Asso/compte-rendu.txt", nil, ""},
		{"move", "POST", "/api/v1/move", map[string]any{"from": "/Asso/compte-rendu.txt", "to": "/Autre/compte-rendu.txt"}, ""},
		{"rename", "POST", "/api/v1/move", map[string]any{"from": "/Asso/compte-rendu.txt", "to": "/Asso/cr.txt"}, ""},
		{"upload into the locked folder", "PUT", "/api/v1/files/Verrou/nouveau.txt", nil, "n"},
		{"mkdir in the locked folder", "POST", "/api/v1/folders/Verrou/nouveau", nil, ""},
		{"delete the locked folder", "DELETE", "/api/v1/files/Verrou", nil, ""},
		{"delete a folder holding the locked file", "DELETE", "/api/v1/files/Asso", nil, ""},
		{"start a resumable upload onto it", "POST", "/api/v1/uploads", map[string]any{"path": "/Asso/compte-rendu.txt", "size": 3}, ""},
	}
	for _, a := range api {
		t.Run("api/"+a.name, func(t *testing.T) {
			var st int
			var out struct {
				Error struct{ Code, Message, Holder string }
			}
			if a.raw != "" {
				resp := jean.do(a.method, a.path, strings.NewReader(a.raw), map[string]string{"Accept-Language": "fr"})
				st = resp.StatusCode
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				out.Error.Message = string(b)
				out.Error.Holder = map[bool]string{true: "Marie Curie"}[strings.Contains(string(b), `"holder":"Marie Curie"`)]
			} else {
				st = jean.call(a.method, a.path, a.body, &out)
			}
			if st != http.StatusLocked || out.Error.Holder != "Marie Curie" || !strings.Contains(out.Error.Message, "Marie Curie") {
				t.Errorf("status %d, error %+v; want 423 naming Marie Curie", st, out.Error)
			}
		})
	}
	// WebDAV: another user's PUT and DELETE get 423.
	for _, m := range []string{"PUT", "DELETE"} {
		resp := jean.do(m, "/dav/Asso/compte-rendu.txt", strings.NewReader("x"), nil)
		resp.Body.Close()
		if resp.StatusCode != http.StatusLocked {
			t.Errorf("WebDAV %s by jean: %d, want 423", m, resp.StatusCode)
		}
	}

	// The web forms say who holds the lock and until when.
	b := newBrowser(t, wd.srv)
	if st := b.login("jean", userPassword); st != 200 {
		t.Fatalf("jean's login: %d", st)
	}
	b.do("POST", "/lang", strings.NewReader(url.Values{"lang": {"fr"}, "_csrf": {b.cookie("notreasso_csrf")}}.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	form := func(action string, v url.Values) string {
		t.Helper()
		v.Set("_csrf", b.cookie("notreasso_csrf"))
		v.Set("back", "/browse/Asso")
		st, _, h := b.do("POST", action, strings.NewReader(v.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		if st != http.StatusSeeOther {
			t.Fatalf("%s: %d", action, st)
		}
		_, page, _ := b.do("GET", h.Get("Location"), nil, map[string]string{"Accept": "text/html"})
		return page
	}
	for _, f := range []struct {
		action string
		v      url.Values
	}{
		{"/do/delete", url.Values{"path": {"/Asso/compte-rendu.txt"}}},
		{"/do/rename", url.Values{"path": {"/Asso/compte-rendu.txt"}, "name": {"cr.txt"}}},
		{"/do/move", url.Values{"path": {"/Asso/compte-rendu.txt"}, "dest": {"/Autre"}}},
		{"/do/restore-version", url.Values{"path": {"/Asso/compte-rendu.txt"}, "version": {"1"}}},
		{"/do/mkdir", url.Values{"path": {"/Verrou"}, "name": {"nouveau"}}},
	} {
		page := form(f.action, f.v)
		if !regexp.MustCompile(`Verrouillé par Marie Curie jusqu’à (?:[^<]* à )?\d\d:\d\d`).MatchString(page) {
			t.Errorf("%s: the page does not say who holds the lock:\n%s", f.action, flashOf(page))
		}
	}
	// Nothing was changed by any door.
	if got := download(t, marie, "/Asso/compte-rendu.txt"); got != "v2" {
		t.Errorf("the locked file now holds %q", got)
	}
	if st := wd.admin.call("GET", "/api/v1/stat/Verrou/nouveau.txt", nil, nil); st != 404 {
		t.Errorf("a file was added to the locked folder: %d", st)
	}

	// Marie saves with her token: accepted (no 412), as version 3.
	resp := marie.do("PUT", "/dav/Asso/compte-rendu.txt", strings.NewReader("v3 de Marie"), map[string]string{"If": "(<" + fileToken + ">)"})
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Errorf("the holder's save: %d", resp.StatusCode)
	}
	// The API accepts the token in Lock-Token.
	resp = marie.do("PUT", "/api/v1/files/Verrou/par-api.txt", strings.NewReader("a"), map[string]string{"Lock-Token": "<" + dirToken + ">"})
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Errorf("the holder's API upload with Lock-Token: %d", resp.StatusCode)
	}

	// Jean, an editor, sees the lock but may not break it; an
	// administrator breaks the file's lock over WebDAV.
	_, page, _ := b.do("GET", "/file/Asso/compte-rendu.txt", nil, map[string]string{"Accept": "text/html"})
	if !strings.Contains(page, "Verrouillé par Marie Curie") || strings.Contains(page, `action="/do/unlock"`) {
		t.Errorf("jean's file page: %s", flashOf(page))
	}
	resp = jean.do("UNLOCK", "/dav/Asso/compte-rendu.txt", nil, map[string]string{"Lock-Token": "<" + fileToken + ">"})
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("UNLOCK by another editor: %d, want 403", resp.StatusCode)
	}
	resp = wd.admin.do("UNLOCK", "/dav/Asso/compte-rendu.txt", nil, map[string]string{"Lock-Token": "<" + fileToken + ">"})
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("UNLOCK by an administrator: %d, want 204", resp.StatusCode)
	}
	if st := jean.call("POST", "/api/v1/move", map[string]any{"from": "/Asso/compte-rendu.txt", "to": "/Asso/cr.txt"}, nil); st != 200 {
		t.Errorf("rename once unlocked: %d", st)
	}

	// The folder's manager breaks the folder's lock from the file page.
	wd.mustCall(200, "POST", "/api/v1/grants/Verrou", map[string]any{"principal": "user:jean", "role": "manager"})
	_, page, _ = b.do("GET", "/file/Verrou/dedans.txt", nil, map[string]string{"Accept": "text/html"})
	if !strings.Contains(page, `action="/do/unlock"`) || !strings.Contains(page, "Déverrouiller") {
		t.Fatalf("the manager's file page offers no unlock: %s", flashOf(page))
	}
	page = form("/do/unlock", url.Values{"path": {"/Verrou/dedans.txt"}, "token": {dirToken}})
	if !strings.Contains(page, "Verrou retiré") {
		t.Errorf("after unlocking: %s", flashOf(page))
	}
	if st := jean.call("DELETE", "/api/v1/files/Verrou", nil, nil); st != 204 {
		t.Errorf("delete once unlocked: %d", st)
	}
}

// flashOf is the messages part of a page, for test failures.
func flashOf(page string) string {
	out := regexp.MustCompile(`(?s)<(?:p|div) class="flash[^"]*"[^>]*>.*?</(?:p|div)>`).FindAllString(page, -1)
	if len(out) == 0 {
		return "(no message)"
	}
	return strings.Join(out, "\n")
}

func download(t *testing.T, c *client, path string) string {
	t.Helper()
	resp := c.do("GET", "/api/v1/files/"+escapePath(path), nil, nil)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// In a browser, on a phone: the file page of a document Marie locked over
// WebDAV says so; an administrator's « Déverrouiller » removes the lock,
// after which a change through the page works.
func TestLockUI(t *testing.T) {
	tier.Tool(t, browser.ExecPath, "chromium")
	wd := newWorld(t, server.Options{})
	wd.mustCall(200, "PATCH", "/api/v1/admin/users/marie", map[string]any{"display_name": "Marie"})
	wd.mustCall(201, "POST", "/api/v1/folders/Asso", nil)
	wd.put("/Asso/ordre du jour.odt", "odj")
	davLock(t, wd.users["marie"], "/Asso/ordre%20du%20jour.odt", "0")
	u := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: wd.srv.URL, shots: screenshotDir(t)}
	u.login("admin", server.AdminPassword)
	u.b.Viewport(360, 740)
	u.open("/file/Asso/ordre%20du%20jour.odt", ".flash.lock")
	if got := u.text(".flash.lock span"); !regexp.MustCompile(`^Verrouillé par Marie jusqu’à (?:.* à )?\d\d:\d\d$`).MatchString(got) {
		t.Errorf("lock notice: %q", got)
	}
	if w := browser.Eval[int](u.b, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("the file page is %d px wide on a 360 px phone", w)
	}
	u.b.Screenshot(u.shots, "file-locked-phone")
	u.b.Navigates("unlock", chromedp.Click(`form[action="/do/unlock"] button`))
	u.b.WaitFor("confirmation", `!!document.querySelector('.flash.ok')`)
	u.clean("unlock")
	if n := browser.Eval[int](u.b, `document.querySelectorAll('.flash.lock').length`); n != 0 {
		t.Errorf("%d lock notices after unlocking", n)
	}
	if st := wd.admin.call("DELETE", "/api/v1/files/Asso/ordre%20du%20jour.odt", nil, nil); st != 204 {
		t.Errorf("delete after unlocking: %d", st)
	}
}
