package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"notreasso/internal/testutil/browser"
	"notreasso/internal/testutil/server"
)

// Stored XSS: hostile names, tags and contents are shown on every page
// where they appear, and no script of theirs may run in the application's
// origin. Payloads set window.pwned and open dialogs; both are watched.
func TestWebUIStoredXSS(t *testing.T) {
	srv := server.Start(t, server.Options{})
	api := admin(t, srv)
	const dir = `/"><svg onload=alert(1)>`
	const evilName = `<img src=x onerror=alert(1)>.html`
	// Names with < > " are refused since the name rules (they are not
	// portable); the repository can still hold them from before, or from a
	// restored old backup. Create them under tame names and rename them in
	// the database, as such an instance would have them.
	if st := api.call("POST", "/api/v1/folders/xss-dir", nil, nil); st != 201 {
		t.Fatalf("mkdir: %d", st)
	}
	if st, _ := api.put("/xss-dir/xss-name.html", []byte(`<script>window.pwned=1;alert(1)</script>`)); st != 201 {
		t.Fatalf("put: %d", st)
	}
	execDB(t, srv.Data, `UPDATE nodes SET name = '`+strings.TrimPrefix(dir, "/")+`' WHERE name = 'xss-dir'`,
		`UPDATE nodes SET name = '`+evilName+`' WHERE name = 'xss-name.html'`)
	files := map[string]string{
		"page.html": `<html><body><script>window.pwned=1;alert(document.domain)</script><img src=x onerror="window.pwned=1;alert(2)"></body></html>`,
		"evil.svg":  `<svg xmlns="http://www.w3.org/2000/svg" onload="window.pwned=1;alert(1)"><script>window.pwned=1;alert(2)</script><circle cx="5" cy="5" r="4"/></svg>`,
		"notes.md":  "# Notes\n\n<script>window.pwned=1;alert(1)</script>\n\n<img src=x onerror=\"window.pwned=1;alert(1)\">\n\n[lien](javascript:alert(1))\n",
	}
	for name, body := range files {
		if st, _ := api.put(dir+"/"+name, []byte(body)); st != 201 {
			t.Fatalf("put %s: %d", name, st)
		}
	}
	const evilTag = `<script>alert(1)</script>`
	if st := api.call("PUT", "/api/v1/tags/"+escapePath(dir+"/"+evilName), map[string]any{"tags": []string{evilTag}}, nil); st != 200 {
		t.Fatalf("tag: %d", st)
	}

	// The preview route keeps user content harmless: SVG sandboxed, HTML refused.
	for _, tc := range []struct {
		name, wantCSP string
		status        int
	}{{"evil.svg", "sandbox", 200}, {"page.html", "", 404}} {
		resp := api.do("GET", "/preview/"+escapePath(dir+"/"+tc.name), nil, nil)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(resp.Header.Get("Content-Security-Policy"), tc.wantCSP) {
			t.Errorf("preview %s: %d, CSP %q", tc.name, resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
		}
	}

	b := browser.Start(t, browser.Options{AcceptLanguage: "en"})
	u := &ui{t: t, b: b, base: srv.URL}
	// A hostile "next" after login must stay on this site.
	b.Do("login page", chromedp.Navigate(srv.URL+"/login?next=javascript:alert(1)"), chromedp.WaitVisible("#login"),
		chromedp.SendKeys("#login", "admin"), chromedp.SendKeys("#password", server.AdminPassword))
	b.Navigates("log in", chromedp.Submit("#password"))
	api.call("DELETE", "/api/v1/files/"+escapePath(dir+"/page.html"), nil, nil) // shown in the trash and the activity
	api.put(dir+"/page.html", []byte(files["page.html"]))

	pages := []string{
		"/browse/" + escapePath(dir),
		"/file/" + escapePath(dir+"/"+evilName),
		"/file/" + escapePath(dir+"/page.html"),
		"/file/" + escapePath(dir+"/evil.svg"),
		"/file/" + escapePath(dir+"/notes.md"),
		"/preview/" + escapePath(dir+"/evil.svg"),
		"/search?q=" + escapeQuery(evilTag) + "&tag=" + escapeQuery(evilTag),
		"/activity",
		"/trash",
		"/browse/?err=" + escapeQuery("<script>alert(1)</script>") + "&ok=" + escapeQuery(`"><img src=x onerror=alert(1)>`),
	}
	for _, p := range pages {
		b.Do("open "+p, chromedp.Navigate(srv.URL+p), chromedp.WaitReady(":root"))
		b.WaitFor("images settled", `document.readyState === 'complete' && [...(document.images || [])].every(i => i.complete)`)
		if pwned := browser.Eval[bool](b, `typeof window.pwned !== 'undefined'`); pwned {
			t.Errorf("%s: a payload ran (window.pwned is set)", p)
		}
		if d := b.Dialogs(); len(d) > 0 {
			t.Fatalf("%s: dialog opened: %v", p, d)
		}
	}
	// The SVG preview's scripts were refused by its sandbox, which Chromium
	// logs as errors: expected here, and proof the sandbox is on.
	for _, e := range b.Errors() {
		if !strings.Contains(e, "sandboxed") {
			t.Errorf("unexpected console error: %s", e)
		}
	}
	if !strings.HasPrefix(browser.Eval[string](b, "location.protocol"), "http") {
		t.Error("left the site")
	}
	u.open("/file/"+escapePath(dir+"/notes.md"), ".md")
	if n := browser.Eval[int](b, `document.querySelectorAll('.md script, .md [onerror], .md a[href^="javascript"]').length`); n != 0 {
		t.Errorf("Markdown kept %d dangerous elements", n)
	}
	if !strings.Contains(u.text("h1"), "notes.md") {
		t.Errorf("file page title: %q", u.text("h1"))
	}
	u.open("/browse/"+escapePath(dir), "#listing")
	if got := browser.Eval[string](b, `[...document.querySelectorAll('#sel .c-name a')].map(a => a.textContent).join('|')`); !strings.Contains(got, evilName) {
		t.Errorf("hostile name not shown as text: %q", got)
	}
	if got := u.text(".c-tags .tag"); got != evilTag {
		t.Errorf("hostile tag not shown as text: %q", got)
	}
}

func escapeQuery(s string) string {
	return strings.NewReplacer("%", "%25", "&", "%26", "#", "%23", "+", "%2B", " ", "%20", "<", "%3C", ">", "%3E", `"`, "%22", "=", "%3D").Replace(s)
}
