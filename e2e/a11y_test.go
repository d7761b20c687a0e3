package e2e

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"notreasso/internal/testutil/browser"
	"notreasso/internal/testutil/server"
)

// a11yPages are the pages the accessibility check visits, logged in as an
// administrator (who sees every page), with the name of their screenshot
// for the pages TestWebUI does not photograph.
var a11yPages = []struct{ path, shot string }{
	{"/browse/", ""}, {"/browse/Bureau", ""}, {"/file/Bureau/compte%20rendu.md", "file-markdown"}, {"/file/Bureau/rapport.pdf", "file-pdf"},
	{"/search?q=rapport", ""}, {"/search?q=introuvable-xyz", "search-none"}, {"/activity", ""}, {"/trash", ""}, {"/drive", ""},
	{"/account", ""}, {"/admin", ""}, {"/collections", "collections"}, {"/collections/1", "collection"}, {"/tags/ag", "tag"},
	{"/file/Bureau/absent.txt", "error"},
	// The sharing and administration pages (TestShare… and TestUI…
	// photograph them, but for a file's share panel).
	{"/share/Bureau", ""}, {"/share/Bureau/rapport.pdf", "share-panel-file"},
	{"/admin/users/lea", ""}, {"/admin/groups", ""}, {"/admin/groups/partenaires", ""},
	{"/admin/audit", ""}, {"/retention/Bureau", ""}, {"/admin/mail", ""}, {"/admin/backups", ""},
	{"/admin/intake", "intake"}, {"/admin/intake/1", "intake-account"},
}

// TestAccessibility runs axe-core (the npm package, injected into the page)
// on every page at 1280 and 360 px (in French; a few in English too): no
// serious or critical violation. Lesser ones are logged.
func TestAccessibility(t *testing.T) {
	srv := server.Start(t, server.Options{})
	api := admin(t, srv)
	axe := browser.AxeScript(t)
	api.call("POST", "/api/v1/folders/Bureau", nil, nil)
	api.put("/Bureau/compte rendu.md", []byte("# Compte rendu\n\nLe *bureau* s'est réuni.\n"))
	api.put("/Bureau/compte rendu.md", []byte("# Compte rendu\n\nLe *bureau* s'est réuni deux fois.\n"))
	api.put("/Bureau/rapport.pdf", makePDF("Rapport moral"))
	api.put("/Bureau/à jeter.txt", []byte("x"))
	api.call("DELETE", "/api/v1/files/Bureau/%C3%A0%20jeter.txt", nil, nil)
	api.call("PUT", "/api/v1/tags/Bureau/rapport.pdf", map[string]any{"tags": []string{"ag"}}, nil)
	api.call("POST", "/api/v1/collections", map[string]any{"title": "Bienvenue", "welcome": true, "audience": map[string]any{"members": true}}, nil)
	api.call("PUT", "/api/v1/collections/1/items", map[string]any{"items": []map[string]any{{"path": "/Bureau/rapport.pdf", "note": "à lire"}}}, nil)
	var link struct {
		Token string `json:"token"`
	}
	api.call("POST", "/api/v1/shares", map[string]any{"path": "/Bureau/rapport.pdf"}, &link)
	var folderLink, pwLink, drop struct {
		Token string `json:"token"`
	}
	api.call("POST", "/api/v1/shares", map[string]any{"path": "/Bureau"}, &folderLink)
	api.call("POST", "/api/v1/shares", map[string]any{"path": "/Bureau", "password": "mot de passe"}, &pwLink)
	api.call("POST", "/api/v1/shares", map[string]any{"path": "/Bureau", "kind": "dropbox"}, &drop)
	// An account, a group with a member and a grant, an app password and a
	// password-reset link, through the pages' own forms.
	adm := newBrowser(t, srv)
	if st := adm.login("admin", server.AdminPassword); st != 200 {
		t.Fatalf("login: %d", st)
	}
	for _, f := range []struct {
		path string
		v    url.Values
	}{
		{"/do/users", url.Values{"login": {"lea"}, "role": {"member"}, "display_name": {"Léa Martin"}, "password": {"un mot de passe"}}},
		{"/do/admin/groups", url.Values{"name": {"partenaires"}}},
		{"/do/admin/groups/members", url.Values{"group": {"partenaires"}, "login": {"lea"}}},
		{"/do/admin/groups/grants", url.Values{"group": {"partenaires"}, "path": {"/Bureau"}, "role": {"viewer"}}},
		{"/do/app-passwords", url.Values{"name": {"Téléphone"}}},
		{"/do/admin/users/lea/reset", url.Values{}},
		// A mailbox whose server does not answer: its page shows the error.
		{"/do/admin/intake", url.Values{"name": {"Documents de l'asso"}, "host": {"127.0.0.1"}, "port": {"1"}, "security": {"tls"},
			"login": {"documents@asso.fr"}, "password": {"secret"}, "mailbox": {"INBOX"}, "processed": {"flag"},
			"allow": {"asso.fr\nmairie-lyon.fr"}, "quarantine": {"/Courriels en quarantaine"}, "enabled": {"1"}}},
		{"/do/admin/intake/1/rules", url.Values{"op": {"add"}, "match": {"recipient"}, "value": {"compta"}, "folder": {"/Comptes 2025/Factures"},
			"tags": {"facture, compta"}, "keep_attachments": {"1"}}},
		{"/do/admin/intake/1/rules", url.Values{"op": {"add"}, "match": {"sender"}, "value": {"mairie-lyon.fr"}, "folder": {"/Subventions"},
			"tags": {"subvention"}, "keep_attachments": {"1"}, "keep_mail": {"1"}}},
	} {
		if st, loc := adm.form(f.path, f.v); st != 303 || strings.Contains(loc, "err=") {
			t.Fatalf("%s: %d %s", f.path, st, loc)
		}
	}
	_, userPage, _ := adm.do("GET", "/admin/users/lea", nil, map[string]string{"Accept": "text/html"})
	i := strings.Index(userPage, "/reset/")
	if i < 0 {
		t.Fatal("no reset link on the account's page")
	}
	resetToken := userPage[i+len("/reset/") : i+len("/reset/")+43]

	for _, lang := range []string{"fr-FR,fr", "en"} {
		b := browser.Start(t, browser.Options{AcceptLanguage: lang})
		u := &ui{t: t, b: b, base: srv.URL}
		shots := screenshotDir(t)
		check := func(path, shot string) {
			t.Helper()
			for _, w := range []int64{1280, 360} {
				b.Viewport(w, 800)
				b.Do("open "+path, chromedp.Navigate(srv.URL+path), chromedp.WaitReady("body"))
				if shot != "" && lang != "en" {
					b.Screenshot(shots, shot+map[int64]string{1280: "-desktop", 360: "-phone"}[w])
				}
				var bad []string
				all := b.Axe(axe)
				for _, v := range all {
					if v.Impact != "serious" && v.Impact != "critical" {
						t.Logf("%s at %d px (%s), %s", path, w, lang, v)
					}
					if v.Impact == "serious" || v.Impact == "critical" {
						bad = append(bad, v.String())
					}
				}
				if len(bad) > 0 {
					t.Errorf("%s at %d px (%s): %d serious or critical accessibility violations:\n  %s", path, w, lang, len(bad), strings.Join(bad, "\n  "))
				}
				b.Errors() // a 404 page logs its status
			}
			b.ResetViewport()
		}
		check("/login", "")
		// The check can fail: a page spoiled on purpose is caught.
		b.Do("spoil a page", chromedp.Navigate(srv.URL+"/login"), chromedp.WaitReady("#login"),
			chromedp.Evaluate[chromedp.Void](`document.querySelector('main').insertAdjacentHTML('beforeend', '<button id="nameless"><svg></svg></button><input id="unlabelled">')`))
		ids := map[string]bool{}
		for _, v := range b.Axe(axe) {
			ids[v.ID+"/"+v.Impact] = true
		}
		if !ids["button-name/critical"] || !ids["label/critical"] {
			t.Fatalf("axe-core missed a nameless button and an unlabelled field: %v", ids)
		}
		for _, l := range []struct{ tok, shot string }{{link.Token, ""}, {folderLink.Token, ""},
			{pwLink.Token, ""}, {drop.Token, ""}} {
			if l.tok == "" {
				t.Fatal("a share link was not made")
			}
			check("/s/"+l.tok, l.shot)
		}
		check("/reset/"+resetToken, "")
		check("/forgot", "")
		u.login("admin", server.AdminPassword)
		pages := a11yPages
		if lang == "en" {
			pages = pages[:3] // the second language: the same templates, other words
		}
		for _, p := range pages {
			check(p.path, p.shot)
		}
		// The pages' open states: the menu on a phone, a popover, a dialog.
		b.Viewport(360, 800)
		b.Do("menu", chromedp.Navigate(srv.URL+"/browse/Bureau"), chromedp.WaitReady("#listing"), chromedp.Click(".menu-toggle"),
			chromedp.Click(`#sel input[name="path"]`), chromedp.Click("#sel details.pop summary"))
		for _, v := range b.Axe(axe) {
			if v.Impact == "serious" || v.Impact == "critical" {
				t.Errorf("open menu and rename box (%s): %s", lang, v)
			}
		}
		b.ResetViewport()
	}
}
