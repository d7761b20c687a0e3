package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"notreasso/internal/testutil/browser"
	"notreasso/internal/testutil/server"
)

// screenshotDir is where the browser tests write their screenshots:
// NOTREASSO_SCREENSHOTS (make screenshots sets docs/screenshots), else a
// temporary folder.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("NOTREASSO_SCREENSHOTS"); d != "" {
		abs, _ := filepath.Abs(d)
		return abs
	}
	return t.TempDir()
}

// ui drives one logged-in browser against a server, failing on any console
// error or JavaScript dialog after each step.
type ui struct {
	t     *testing.T
	b     *browser.Browser
	base  string
	shots string
}

// a11yCheck finds form controls without a label, images without alt text
// and buttons or links without a name: the basics a screen reader needs.
const a11yCheck = `[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
	.filter(e => !e.hidden && !e.labels?.length && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
	.map(e => e.outerHTML.slice(0, 80))
	.concat([...document.querySelectorAll('img:not([alt])')].map(e => e.outerHTML.slice(0, 80)))
	.concat([...document.querySelectorAll('button, a[href]')].filter(e => !e.hidden && !e.textContent.trim() && !e.getAttribute('aria-label')).map(e => e.outerHTML.slice(0, 80)))
	.join('\n')`

func (u *ui) clean(where string) {
	u.t.Helper()
	if bad := browser.Eval[string](u.b, a11yCheck); bad != "" {
		u.t.Errorf("%s: unlabelled controls:\n%s", where, bad)
	}
	if errs := u.b.Errors(); len(errs) > 0 {
		u.t.Fatalf("%s: console errors:\n%s", where, strings.Join(errs, "\n"))
	}
	if d := u.b.Dialogs(); len(d) > 0 {
		u.t.Fatalf("%s: JavaScript dialogs opened: %v", where, d)
	}
}

func (u *ui) open(path, ready string) {
	u.t.Helper()
	u.b.Do("open "+path, chromedp.Navigate(u.base+path), chromedp.WaitReady(ready))
	u.clean(path)
}

func (u *ui) text(sel string) string {
	u.t.Helper()
	return browser.Eval[string](u.b, `(document.querySelector(`+jsString(sel)+`) || {textContent: ""}).textContent.trim()`)
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`)
	return "'" + r.Replace(s) + "'"
}

// screenshot takes the current page at desktop and phone widths.
func (u *ui) screenshot(name string) {
	u.t.Helper()
	u.b.Screenshot(u.shots, name+"-desktop")
	u.b.Viewport(360, 740)
	u.b.Do("reload for phone", chromedp.Reload())
	if w := browser.Eval[int](u.b, `document.documentElement.scrollWidth`); w > 360 {
		u.t.Errorf("%s is %d px wide on a 360 px phone", name, w)
	}
	u.b.Screenshot(u.shots, name+"-phone")
	u.b.ResetViewport()
	u.clean("screenshot " + name)
}

func (u *ui) login(user, pass string) {
	u.t.Helper()
	u.b.Do("log in", chromedp.Navigate(u.base+"/browse/"), chromedp.WaitVisible("#login"),
		chromedp.SendKeys("#login", user), chromedp.SendKeys("#password", pass))
	u.b.Navigates("submit login", chromedp.Submit("#password"))
	u.clean("login")
}

func writeFiles(t *testing.T, files map[string]string) []string {
	dir := t.TempDir()
	var paths []string
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// TestWebUI walks through what a volunteer does, in French then English:
// log in, create a folder, upload, upload again (a version), restore a
// version, delete and restore from the trash, search, switch language —
// with screenshots of every main page at 1280 and 360 px.
func TestWebUI(t *testing.T) {
	srv := server.Start(t, server.Options{})
	u := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: srv.URL, shots: screenshotDir(t)}
	api := admin(t, srv)

	u.b.Do("login page", chromedp.Navigate(u.base+"/"), chromedp.WaitVisible("#login"))
	if lang := browser.Eval[string](u.b, "document.documentElement.lang"); lang != "fr" {
		t.Fatalf("Accept-Language fr gave lang=%q", lang)
	}
	u.screenshot("login")
	u.login("admin", server.AdminPassword)
	if !strings.Contains(u.text(".empty h2"), "vide") {
		t.Errorf("empty root: %q", u.text(".empty h2"))
	}

	// New folder, through the form.
	const folder = "Conseil d'administration"
	u.b.Do("new folder", chromedp.Click("details.pop summary"), chromedp.SendKeys("#new-name", folder))
	u.b.Navigates("create the folder", chromedp.Submit("#new-name"))
	u.b.WaitFor("confirmation", `!!document.querySelector('.flash.ok')`)
	u.clean("mkdir")
	u.open("/browse/"+escapePath("/"+folder), "#listing")

	// Two files through the file input; progress reaches 100 %.
	u.b.Do("upload two files", chromedp.SetUploadFiles("#pick-files", writeFiles(t, map[string]string{
		"PV AG 2026.txt": "Procès-verbal, première version\n", "budget.csv": "poste;montant\nlocation;1200\n"})))
	u.b.WaitFor("both uploads done", `document.querySelectorAll('#up-list .status.done').length === 2`)
	if v := browser.Eval[float64](u.b, `document.getElementById('up-total').value`); v != 100 {
		t.Errorf("overall progress %v, want 100", v)
	}
	if full := browser.Eval[bool](u.b, `[...document.querySelectorAll('#up-list progress')].every(p => p.value === p.max)`); !full {
		t.Error("a file's progress bar did not reach its end")
	}
	u.b.WaitFor("listing refreshed", `document.querySelectorAll('#sel tbody tr').length === 2`)
	u.clean("upload")

	// Same name again: a new version, said clearly.
	u.b.Do("upload a second version", chromedp.SetUploadFiles("#pick-files", writeFiles(t, map[string]string{
		"PV AG 2026.txt": "Procès-verbal, deuxième version\n"})))
	u.b.WaitFor("version 2 reported", `[...document.querySelectorAll('#up-list .status.done')].some(s => s.textContent.includes('version 2'))`)
	u.clean("upload version 2")
	u.screenshot("upload")

	// File page: tags with suggestions, restore version 1, label and pin.
	api.call("PUT", "/api/v1/tags/"+escapePath("/"+folder+"/budget.csv"), map[string]any{"tags": []string{"trésorerie"}}, nil)
	file := "/" + folder + "/PV AG 2026.txt"
	u.open("/file/"+escapePath(file), "#current-version")
	if v := u.text("#current-version"); v != "2" {
		t.Fatalf("current version %q, want 2", v)
	}
	u.b.Do("type a tag's start", chromedp.SendKeys("#tags", "tr"))
	u.b.WaitFor("tag suggestion", `[...document.querySelectorAll('#tag-list option')].some(o => o.value === 'trésorerie')`)
	u.b.Do("type tags", chromedp.SetValue("#tags", "ag, procès-verbal"))
	u.b.Navigates("save tags", chromedp.Submit("#tags"))
	if got := u.text("#tag-view"); !strings.Contains(got, "procès-verbal") {
		t.Fatalf("tags after saving: %q", got)
	}
	u.b.Navigates("restore version 1", chromedp.Click("#v1 form.inline button"))
	u.clean("restore version")
	if v := u.text("#current-version"); v != "3" {
		t.Fatalf("after restoring version 1, current version %q, want 3", v)
	}
	if got := u.text(".preview pre"); !strings.Contains(got, "première version") {
		t.Fatalf("preview after restore: %q", got)
	}
	u.b.Do("label version 1", chromedp.Click("#v1 details summary"), chromedp.SendKeys("#label-1", "Version votée"), chromedp.Click(`#v1 input[name="pinned"]`))
	u.b.Navigates("save the label", chromedp.Submit("#label-1"))
	if got := u.text("#v1"); !strings.Contains(got, "Version votée") || !strings.Contains(got, "épinglée") {
		t.Fatalf("version 1 after labelling: %q", got)
	}
	u.screenshot("file")

	// Delete to the trash, then restore.
	u.open("/browse/"+escapePath("/"+folder), "#listing")
	u.b.Do("select", chromedp.Click(`#sel input[value="`+file+`"]`))
	u.b.Navigates("delete", chromedp.Click("#bulk-delete"))
	u.b.WaitFor("confirmation", `!!document.querySelector('.flash.ok')`)
	if n := browser.Eval[int](u.b, `document.querySelectorAll('#sel tbody tr').length`); n != 1 {
		t.Fatalf("%d rows after delete, want 1", n)
	}
	u.open("/trash", "main")
	u.screenshot("trash")
	u.b.Navigates("restore from trash", chromedp.Click("main form.inline button"))
	u.b.WaitFor("confirmation", `!!document.querySelector('.flash.ok')`)
	u.clean("trash restore")
	u.open("/browse/"+escapePath("/"+folder), "#listing")
	if n := browser.Eval[int](u.b, `document.querySelectorAll('#sel tbody tr').length`); n != 2 {
		t.Fatalf("%d rows after restore, want 2", n)
	}
	u.screenshot("browse")

	// Copy with the folder picker: up to the root, choose it, copy.
	u.b.Do("select budget", chromedp.Click(`#sel input[value="/`+folder+`/budget.csv"]`), chromedp.Click(".bulk details:last-of-type summary"),
		chromedp.Click("button.pick"))
	u.b.WaitFor("picker lists", `document.getElementById('picker').open && document.getElementById('picker-list').dataset.path === `+jsString("/"+folder))
	u.b.Do("go up", chromedp.Click("#picker-list button"))
	u.b.WaitFor("root listed", `document.getElementById('picker-list').dataset.path === '/' && [...document.querySelectorAll('#picker-list button')].some(b => b.textContent.includes("Conseil"))`)
	u.b.Do("choose the root", chromedp.Click("#picker-ok"))
	// The dialog's close event, which fills the field, comes in a later task.
	u.b.WaitFor("the root chosen", `!document.getElementById('picker').open && document.getElementById('dest').value === '/'`)
	u.b.Navigates("copy", chromedp.Click(`button[formaction="/do/copy"]`))
	if st := api.call("GET", "/api/v1/stat/budget.csv", nil, nil); st != 200 {
		t.Fatalf("copy through the picker: stat %d", st)
	}
	u.clean("copy")

	searchStep(t, u, api)

	// Accounts: create one, disable it.
	u.open("/admin", "main")
	u.b.Do("new account", chromedp.SendKeys("#nu-login", "marie"), chromedp.SendKeys("#nu-password", "mot-de-passe-de-marie"))
	u.b.Navigates("create account", chromedp.Submit("#nu-login"))
	u.b.Navigates("disable marie", chromedp.Click(`form[action="/do/users/disable"] button`))
	if got := u.text("main table"); !strings.Contains(got, "marie") || !strings.Contains(got, "désactivé") {
		t.Fatalf("accounts after disabling marie: %q", got)
	}
	for _, p := range []struct{ path, name string }{{"/activity", "activity"}, {"/account", "account"}, {"/admin", "admin"}, {"/drive", "drive"}} {
		u.open(p.path, "main")
		u.screenshot(p.name)
	}
	if !strings.Contains(u.text("#windows"), "FileSizeLimitInBytes") || !strings.Contains(browser.Eval[string](u.b, `document.getElementById('dav-addr').value`), srv.URL+"/dav/") {
		t.Error("drive page lacks the Windows size fix or the user's address")
	}

	// Switch to English: the choice sticks across pages.
	u.b.Navigates("switch to English", chromedp.Click("#switch-lang"))
	u.open("/trash", "main")
	if lang := browser.Eval[string](u.b, "document.documentElement.lang"); lang != "en" || !strings.Contains(u.text("h1"), "Trash") {
		t.Fatalf("after switching: lang=%q, title %q", lang, u.text("h1"))
	}
	u.open("/browse/", "#listing")
	u.clean("english")

	// The choice is kept in the account too: a browser without the cookie
	// (another computer) gets French until the login, then English.
	u.b.Navigates("log out", chromedp.Click(`form[action="/logout"] button`))
	if _, err := chromedp.Call(u.b.Ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: "notreasso_lang", URL: u.base}); err != nil {
		t.Fatal(err)
	}
	u.open("/login", "#login")
	if lang := browser.Eval[string](u.b, "document.documentElement.lang"); lang != "fr" {
		t.Fatalf("without the cookie, before login: lang=%q, want the browser's fr", lang)
	}
	u.login("admin", server.AdminPassword)
	if lang := browser.Eval[string](u.b, "document.documentElement.lang"); lang != "en" {
		t.Errorf("after logging in elsewhere: lang=%q, want the account's en", lang)
	}
}

// searchStep finds a word inside an uploaded PDF and opens the hit when a
// search backend is configured; without one, the page must say that search
// is not available. The same test passes in both states.
func searchStep(t *testing.T, u *ui, api *client) {
	t.Helper()
	resp := api.do("GET", "/api/v1/search?q=test", nil, nil)
	resp.Body.Close()
	if resp.StatusCode == http.StatusServiceUnavailable {
		u.open("/search?q=cotisation", "main")
		if !strings.Contains(u.text("#search-unavailable"), "pas encore disponible") {
			t.Fatalf("search page without a backend: %q", u.text("main"))
		}
		u.screenshot("search")
		return
	}
	if st, _ := api.put("/Trésorerie/appel-cotisations.pdf", makePDF("Appel des cotisations 2026 zygomorphe")); st != 201 {
		api.call("POST", "/api/v1/folders/Tr%C3%A9sorerie", nil, nil)
		api.put("/Trésorerie/appel-cotisations.pdf", makePDF("Appel des cotisations 2026 zygomorphe"))
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		u.open("/search?q=zygomorphe", "main")
		if browser.Eval[int](u.b, `document.querySelectorAll('.hit a').length`) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the PDF's word was not found within 30 s: %q", u.text("main"))
		}
		time.Sleep(time.Second)
	}
	u.screenshot("search")
	u.b.NavigatesByScript("open the hit", "document.querySelector('.hit a').click()")
	if !strings.Contains(u.text("h1"), "appel-cotisations.pdf") {
		t.Fatalf("hit opened %q", u.text("h1"))
	}
	u.clean("search hit")
}
