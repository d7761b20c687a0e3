package e2e

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"notreasso/internal/testutil/browser"
	"notreasso/internal/testutil/server"
)

// clicks counts the clicks a user makes, so that « at most three clicks »
// is measured rather than claimed.
type clicks struct{ n int }

func (c *clicks) click(u *ui, what, sel string, navigates bool) {
	u.t.Helper()
	c.n++
	if navigates {
		u.b.Navigates(what, chromedp.Click(sel))
	} else {
		u.b.Do(what, chromedp.Click(sel))
	}
	u.clean(what)
}

// TestShareRestrictToGroup: the admin opens « Bureau (privé) », opens its
// share panel and keeps the folder for the group « Bureau » in at most
// three clicks; then a member neither lists, opens, searches nor reaches
// it over WebDAV, while a member of the group does all four.
func TestShareRestrictToGroup(t *testing.T) {
	wd := newWorld(t, server.Options{})
	wd.mustCall(201, "POST", "/api/v1/admin/users", map[string]any{"login": "jeanne", "password": userPassword, "role": "member"})
	jeanne := newClient(t, wd.srv, "jeanne", userPassword)
	wd.mustCall(201, "POST", "/api/v1/admin/groups", map[string]any{"name": "Bureau"})
	wd.mustCall(200, "PUT", "/api/v1/admin/groups/Bureau/members/jeanne", nil)
	const folder, secret = "/Bureau (privé)", "procès-verbal du bureau : la trésorière xylophone démissionne"
	wd.mustCall(201, "POST", "/api/v1/folders/"+escapePath(folder), nil)
	wd.put(folder+"/pv.txt", secret)
	wd.put("/ouvert.txt", "un document ouvert à tous xylophone")
	marie := wd.users["marie"]
	waitFound(t, marie, "xylophone", folder+"/pv.txt") // indexed and, before the restriction, visible

	u := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: wd.srv.URL, shots: screenshotDir(t)}
	u.login("admin", server.AdminPassword)
	u.open("/browse/"+escapePath(folder), "#share-folder")

	var c clicks
	c.click(u, "open the share panel", "#share-folder", true)
	if got := u.text("#restrict-group option:checked"); got != "Bureau" {
		t.Fatalf("the panel suggests %q, want the group Bureau", got)
	}
	u.screenshot("share-panel")
	c.click(u, "restrict to the group Bureau", "#restrict-submit", true)
	if c.n > 3 {
		t.Errorf("%d clicks", c.n)
	}
	if !strings.Contains(u.text(".flash.ok"), "Accès restreint") || u.text("#restricted-note") == "" {
		t.Fatalf("after restricting: flash %q, note %q", u.text(".flash.ok"), u.text("#restricted-note"))
	}
	grants := u.text("#grants")
	if !strings.Contains(grants, "groupe Bureau") || !strings.Contains(grants, "ne s'applique pas ici") {
		t.Errorf("grants shown: %q", grants)
	}
	// « Why can … see this? » follows the restriction.
	for login, want := range map[string]string{"marie": "ne voit pas ceci", "jeanne": "« modification »"} {
		browser.Eval[string](u.b, `document.getElementById('why-who').value = ''`)
		u.b.Do("ask why "+login, chromedp.SendKeys("#why-who", login))
		u.b.Navigates("explain", chromedp.Submit("#why-who"))
		u.clean("why " + login)
		if got := u.text("#why-answer"); !strings.Contains(got, want) {
			t.Errorf("why %s: %q, want %q", login, got, want)
		}
	}
	u.screenshot("share-panel-restricted")
	// The listing marks the folder as restricted, with words for screen readers.
	u.open("/browse/", "#listing")
	if mark := u.text(`#listing tr:has(a[href*="Bureau"]) .marks`); mark != "Accès restreint" {
		t.Errorf("listing mark %q", mark)
	}

	dav := func(c *client, method, path string) int {
		resp := c.do(method, "/dav/"+escapePath(path)+"/", strings.NewReader(""), map[string]string{"Depth": "1"})
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	lists := func(c *client) bool {
		var l struct{ Children []node }
		c.call("GET", "/api/v1/list/", nil, &l)
		for _, n := range l.Children {
			if n.Path == folder {
				return true
			}
		}
		return false
	}
	opens := func(c *client) bool {
		st, body, _ := c.get(escapePath(folder+"/pv.txt")+"?download=1", nil)
		return st == http.StatusOK && string(body) == secret
	}
	found := func(c *client) bool {
		_, r := c.search("xylophone")
		for _, h := range r.Hits {
			if strings.HasPrefix(h.Path, folder) {
				return true
			}
		}
		return false
	}
	// The open document is still found by the member: the search works,
	// it just leaves the restricted one out.
	waitFound(t, marie, "xylophone", "/ouvert.txt")
	for _, tc := range []struct {
		name string
		c    *client
		want bool
	}{{"member", marie, false}, {"Bureau member", jeanne, true}, {"admin", wd.admin, true}} {
		if got := lists(tc.c); got != tc.want {
			t.Errorf("%s lists it: %v", tc.name, got)
		}
		if got := opens(tc.c); got != tc.want {
			t.Errorf("%s opens it: %v", tc.name, got)
		}
		if got := found(tc.c); got != tc.want {
			t.Errorf("%s finds it: %v", tc.name, got)
		}
		want := http.StatusNotFound
		if tc.want {
			want = http.StatusMultiStatus
		}
		if st := dav(tc.c, "PROPFIND", folder); st != want {
			t.Errorf("%s PROPFIND: %d, want %d", tc.name, st, want)
		}
	}
}

// TestShareLinkWithPassword: the admin creates a password-protected,
// expiring link from the share panel, copies it, and a visitor opens it in
// a fresh browser: the password page, then the folder and its file.
func TestShareLinkWithPassword(t *testing.T) {
	wd := newWorld(t, server.Options{})
	wd.mustCall(201, "POST", "/api/v1/folders/Comptabilit%C3%A9", nil)
	wd.put("/Comptabilité/bilan 2026.txt", "actif 12 000 €, passif 12 000 €")

	u := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: wd.srv.URL, shots: screenshotDir(t)}
	u.login("admin", server.AdminPassword)
	u.open("/share/Comptabilit%C3%A9", "#link-form")
	expires := time.Now().AddDate(0, 0, 7).Format("2006-01-02")
	u.b.Do("fill the link form",
		chromedp.SendKeys("#link-label", "cabinet comptable"),
		chromedp.SetValue("#link-expires", expires),
		chromedp.SendKeys("#link-password", "secret-du-cabinet"),
		chromedp.SendKeys("#link-max", "5"))
	u.b.Navigates("create the link", chromedp.Click("#link-create"))
	u.clean("link created")
	link := browser.Eval[string](u.b, `document.getElementById('new-link').value`)
	if !strings.HasPrefix(link, wd.srv.URL+"/s/") {
		t.Fatalf("new link %q", link)
	}
	row := u.text("#link-list")
	for _, want := range []string{"cabinet comptable", "mot de passe", "expire le", "0 téléchargements sur 5"} {
		if !strings.Contains(row, want) {
			t.Errorf("link list lacks %q: %q", want, row)
		}
	}
	u.screenshot("share-panel-link")
	// Shown once: a reload no longer shows the address.
	u.open("/share/Comptabilit%C3%A9", "#link-list")
	if u.text("#new-link-box") != "" {
		t.Errorf("the link's address is shown again")
	}

	v := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: wd.srv.URL, shots: u.shots}
	v.b.Do("open the link", chromedp.Navigate(link), chromedp.WaitVisible("#password"))
	unauthorized(t, v, "password page") // the page answers 401, as scripts expect
	v.clean("password page")
	if got := v.text("h1"); got != "Lien protégé" {
		t.Errorf("password page title %q", got)
	}
	v.b.Screenshot(v.shots, "share-password-desktop")
	v.b.Viewport(360, 740)
	v.b.Do("reload for phone", chromedp.Reload())
	if w := browser.Eval[int](v.b, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("the password page is %d px wide on a 360 px phone", w)
	}
	v.b.Screenshot(v.shots, "share-password-phone")
	v.b.ResetViewport()
	unauthorized(t, v, "password page on a phone")
	v.b.Do("type a wrong password", chromedp.SendKeys("#password", "pas-le-bon"))
	v.b.Navigates("submit", chromedp.Submit("#password"))
	unauthorized(t, v, "wrong password")
	if !strings.Contains(v.text(".flash.err"), "incorrect") {
		t.Errorf("wrong password: %q", v.text(".flash.err"))
	}
	v.b.Do("type the password", chromedp.SendKeys("#password", "secret-du-cabinet"))
	v.b.Navigates("submit", chromedp.Submit("#password"))
	v.clean("folder page")
	if got := v.text("#share-items"); !strings.Contains(got, "bilan 2026.txt") {
		t.Fatalf("folder page lists %q", got)
	}
	v.screenshot("share-folder")
	v.b.Navigates("open the file", chromedp.Click(`#share-items a[href*="bilan"]`))
	v.clean("file page")
	if got := v.text("#share-preview"); !strings.Contains(got, "actif 12 000 €") {
		t.Errorf("file preview %q", got)
	}
	v.screenshot("share-file")
	// The visits are in the link's history, for the admin.
	u.open("/share/Comptabilit%C3%A9", "#link-list")
	if h := u.text("#link-list details"); !strings.Contains(h, "mot de passe incorrect") || !strings.Contains(h, "consulté") {
		t.Errorf("history %q", h)
	}
}

// TestShareDropBox: the admin makes a drop box; a visitor, in a fresh
// browser, gives her name and sends a file; the admin sees who sent it in
// the folder's listing, on the file page and in the activity.
func TestShareDropBox(t *testing.T) {
	logo := filepath.Join(t.TempDir(), "logo.svg")
	if err := os.WriteFile(logo, []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><circle cx="20" cy="20" r="18" fill="#2a7"/></svg>`), 0o644); err != nil {
		t.Fatal(err)
	}
	wd := newWorld(t, server.Options{Env: []string{"NOTREASSO_SITE_NAME=Les Amis du Quartier", "NOTREASSO_SITE_LOGO=" + logo}})
	wd.mustCall(201, "POST", "/api/v1/folders/Re%C3%A7us", nil)
	token, _ := wd.share(map[string]any{"path": "/Reçus", "kind": "dropbox", "label": "adhérents"})

	v := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: wd.srv.URL, shots: screenshotDir(t)}
	v.open("/s/"+token+"/", "#file")
	// The association's name and logo, in the visitor's language.
	if got := v.text("header .brand"); got != "Les Amis du Quartier" {
		t.Errorf("header %q", got)
	}
	v.b.WaitFor("the logo", `document.querySelector('header .brand img.logo')?.naturalWidth > 0`)
	if got := browser.Eval[string](v.b, `document.title`); !strings.HasSuffix(got, "Les Amis du Quartier") {
		t.Errorf("title %q", got)
	}
	v.screenshot("share-dropbox")
	v.b.Do("fill the drop box", chromedp.SendKeys("#sender", "Jeanne Martin"),
		chromedp.SetUploadFiles("#file", writeFiles(t, map[string]string{"reçu cotisation.txt": "reçu : 20 €"})))
	v.b.Navigates("send", chromedp.Submit("#file"))
	v.clean("thanks page")
	if got := v.text("main"); !strings.Contains(got, "reçu cotisation.txt") || !strings.Contains(got, "Merci") {
		t.Errorf("thanks page %q", got)
	}
	v.screenshot("share-thanks")

	u := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: wd.srv.URL, shots: v.shots}
	u.login("admin", server.AdminPassword)
	u.open("/browse/Re%C3%A7us", "#listing")
	if got := u.text("#listing td.c-author"); got != "Jeanne Martin (lien de dépôt)" {
		t.Errorf("listing author %q", got)
	}
	u.open("/browse/", "#listing")
	if got := u.text(`#listing tr:has(a[href*="Re%C3%A7us"]) td.c-author`); got != "Jeanne Martin (lien de dépôt)" {
		t.Errorf("parent listing author %q", got)
	}
	u.open("/activity", "#activity")
	if got := u.text("#activity li:first-child"); !strings.Contains(got, "Jeanne Martin (lien de dépôt)") {
		t.Errorf("activity %q", got)
	}
	if got := u.text("#activity"); strings.Count(got, "Le système") != 1 { // the admin account's creation only
		t.Errorf("activity names the system for the drop: %q", got)
	}
}

// unauthorized takes the console's record of the 401 answers a link's
// password page gets, failing on any other error.
func unauthorized(t *testing.T, u *ui, where string) {
	t.Helper()
	for _, e := range u.b.Errors() {
		if !strings.Contains(e, "401") {
			t.Errorf("%s: console error %s", where, e)
		}
	}
}

// A folder link with a download limit keeps listing its folder once the
// limit is reached (a listing is not a download); downloads get 410.
func TestUsedUpFolderLinkStillLists(t *testing.T) {
	wd := newWorld(t, server.Options{})
	wd.mustCall(201, "POST", "/api/v1/folders/AG", nil)
	wd.put("/AG/ordre du jour.txt", "1. rapport moral")
	token, _ := wd.share(map[string]any{"path": "/AG", "kind": "viewer", "max_downloads": 1})
	b := newBrowser(t, wd.srv)
	if st, body, _ := b.do("GET", "/s/"+token+"/file/ordre%20du%20jour.txt", nil, nil); st != 200 || body != "1. rapport moral" {
		t.Fatalf("first download: %d %q", st, body)
	}
	if st, _, _ := b.do("GET", "/s/"+token+"/file/ordre%20du%20jour.txt", nil, nil); st != http.StatusGone {
		t.Errorf("second download: %d, want 410", st)
	}
	if st, _, _ := b.do("GET", "/s/"+token+"/file/ordre%20du%20jour.txt", nil, map[string]string{"Range": "bytes=3-"}); st != http.StatusGone {
		t.Errorf("the rest of the file after the limit: %d, want 410", st)
	}
	st, body, _ := b.do("GET", "/s/"+token+"/", nil, nil)
	if st != 200 || !strings.Contains(body, "ordre du jour.txt") {
		t.Errorf("the folder's listing after the limit: %d", st)
	}
	// In the visitor's language.
	st, body, _ = b.do("GET", "/s/"+token+"/", nil, map[string]string{"Accept-Language": "en-GB,en"})
	if st != 200 || !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, ">Name</th>") || !strings.Contains(body, "Share link: pass it on") {
		t.Errorf("English listing: %d\n%s", st, body)
	}
}
