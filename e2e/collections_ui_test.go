package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"notreasso/internal/testutil/browser"
	"notreasso/internal/testutil/server"
)

// TestCollectionWelcomeUI: an admin builds a 3-item welcome collection in
// the browser; a new member logs in, sees it on the home page, opens two
// items and sees 2/3; the admin sees that member's progress.
func TestCollectionWelcomeUI(t *testing.T) {
	srv := server.Start(t, server.Options{})
	u := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: srv.URL, shots: screenshotDir(t)}
	api := admin(t, srv)
	if st := api.call("POST", "/api/v1/folders/Accueil", nil, nil); st != 201 {
		t.Fatalf("mkdir: %d", st)
	}
	for _, name := range []string{"statuts.txt", "charte.txt", "contacts.txt"} {
		if st, _ := api.put("/Accueil/"+name, []byte("contenu de "+name)); st != 201 {
			t.Fatalf("put %s: %d", name, st)
		}
	}
	if st := api.call("POST", "/api/v1/admin/users", map[string]any{"login": "nouveau", "password": userPassword, "role": "member"}, nil); st != 201 {
		t.Fatalf("create member: %d", st)
	}

	// The admin builds the collection.
	u.login("admin", server.AdminPassword)
	u.open("/collections", "#new-collection")
	u.b.Do("new collection", chromedp.Click("#new-collection summary"), chromedp.SendKeys("#c-title", "Bienvenue à l'asso"),
		chromedp.SendKeys("#c-desc", "Lisez ces **trois** documents."), chromedp.Click("#c-welcome"))
	u.b.Navigates("create", chromedp.Click("#create-collection"))
	u.clean("created")
	colURL := browser.Eval[string](u.b, "location.pathname")
	if !strings.HasPrefix(colURL, "/collections/") {
		t.Fatalf("after creation at %s", colURL)
	}
	for _, it := range []struct{ path, note string }{
		{"/Accueil/statuts.txt", "d'abord"}, {"/Accueil/contacts.txt", "qui fait quoi"}, {"/Accueil/charte.txt", "nos valeurs"}} {
		u.b.Do("add "+it.path, chromedp.SendKeys("#item-path", it.path), chromedp.SendKeys("#item-note", it.note))
		u.b.Navigates("add", chromedp.Submit("#item-path"))
		u.clean("add " + it.path)
	}
	// Reorder: the charter goes up one (the buttons drag and drop stands for).
	u.b.Navigates("move up", chromedp.Click(`#items li:nth-child(3) button[value="up"]`))
	names := browser.Eval[string](u.b, `[...document.querySelectorAll('#items li .item-body a')].map(a => a.textContent).join(',')`)
	if names != "statuts.txt,charte.txt,contacts.txt" {
		t.Fatalf("order %q", names)
	}
	u.screenshot("collection-editor")
	u.b.Navigates("log out", chromedp.Click(`form[action="/logout"] button`))

	// The new member sees it on the home page and opens two items.
	u.login("nouveau", userPassword)
	u.b.WaitFor("welcome", `!!document.querySelector('#welcome')`)
	if got := u.text("#welcome-progress"); !strings.HasPrefix(got, "0/3") {
		t.Fatalf("welcome progress %q", got)
	}
	u.screenshot("welcome")
	for i := 1; i <= 2; i++ {
		u.open("/browse/", "#welcome")
		u.b.Navigates("open item", chromedp.Click(`#welcome ol.items li:nth-child(`+string(rune('0'+i))+`) a`))
		u.clean("item opened")
	}
	u.open("/browse/", "#welcome")
	if got := u.text("#welcome-progress"); !strings.HasPrefix(got, "2/3") {
		t.Fatalf("after two items, welcome progress %q", got)
	}
	u.open(colURL, "#items")
	if got := u.text("#c-progress-text"); !strings.HasPrefix(got, "2/3") {
		t.Fatalf("collection page progress %q", got)
	}
	u.b.Navigates("log out", chromedp.Click(`form[action="/logout"] button`))

	// The admin sees the member's progress.
	u.login("admin", server.AdminPassword)
	u.open(colURL, "#people")
	if got := u.text(`#people tr[data-login="nouveau"]`); !strings.Contains(got, "2/3") {
		t.Fatalf("admin sees %q for nouveau", got)
	}

	// The admin makes a private feed address in the account page; it works.
	u.open("/account", "#feeds")
	u.b.Navigates("feed token", chromedp.Click("#feed-token"))
	feedURL := u.text("#feed-url")
	if !strings.Contains(feedURL, "?token=") {
		t.Fatalf("feed address %q", feedURL)
	}
	st, f := fetchFeed(t, srv, feedURL[strings.Index(feedURL, "/api/v1/"):])
	if st != 200 || len(entriesMention(f, "statuts.txt")) == 0 {
		t.Fatalf("feed from the account page: %d", st)
	}
}
