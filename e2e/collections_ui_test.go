package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"notreasso/internal/testutil/browser"
	"notreasso/internal/testutil/server"
)

// TestCollectionWelcomeUI: an admin builds a 3-item welcome collection in
// the browser (items chosen in a picker or added from a file's page, never
// typed); a member who joined before is not greeted; a newcomer sees it on
// the home page, « Commencer », follows it to the end with « Élément
// suivant »; another newcomer puts it away; the admin sees the progress.
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
	if st := api.call("POST", "/api/v1/admin/users", map[string]any{"login": "ancien", "password": userPassword, "role": "member"}, nil); st != 201 {
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
	// Two items through the picker: into Accueil, filter, click the file.
	for _, it := range []struct{ name, note string }{{"statuts.txt", "d'abord"}, {"charte.txt", "nos valeurs"}} {
		u.b.Do("open the picker", chromedp.Click("#item-pick"))
		u.b.WaitFor("root listed", `document.getElementById('fp-list').dataset.path === '/' && !!document.querySelector('#fp-list button.dir')`)
		u.b.Do("open Accueil", chromedp.Click(`#fp-list button.dir`))
		u.b.WaitFor("Accueil listed", `document.getElementById('fp-list').dataset.path === '/Accueil'`)
		u.b.Do("filter", chromedp.SendKeys("#fp-filter", it.name[:4]))
		u.b.WaitFor("filtered", `document.querySelectorAll('#fp-list button.file').length === 1`)
		u.b.Do("choose "+it.name, chromedp.Click(`#fp-list button.file`), chromedp.SendKeys("#item-note", it.note))
		if got := browser.Eval[string](u.b, `document.getElementById('item-path').value`); got != "/Accueil/"+it.name {
			t.Fatalf("the picker chose %q", got)
		}
		u.b.Navigates("add", chromedp.Submit("#item-path"))
		u.clean("add " + it.name)
	}
	// The third from the file's own page.
	u.open("/file/Accueil/contacts.txt", "#add-to-collection")
	u.b.Do("add to a collection", chromedp.Click("#add-to-collection summary"), chromedp.SendKeys("#atc-note", "qui fait quoi"))
	u.b.Navigates("add from the file page", chromedp.Submit("#atc-note"))
	if got := u.text(".flash.ok"); !strings.Contains(got, "Ajouté") {
		t.Fatalf("adding from the file page: %q", got)
	}
	u.open(colURL, "#items")
	// A hand-made unknown group is refused clearly, the form kept.
	u.open("/collections", "#new-collection")
	u.b.Do("a collection with an unknown group", chromedp.Click("#new-collection summary"), chromedp.SendKeys("#c-title", "Pour le bureau"),
		chromedp.Click("#c-members"), chromedp.Evaluate[chromedp.Void](`(() => { const i = document.createElement('input'); i.type = 'hidden'; i.name = 'groups'; i.value = 'Fantômes'; document.getElementById('c-groups').append(i) })()`))
	u.b.Navigates("create", chromedp.Click("#create-collection"))
	if got := u.text(".flash.err"); !strings.Contains(got, "Groupe inconnu : Fantômes") {
		t.Errorf("unknown group: %q", got)
	}
	if !browser.Eval[bool](u.b, `document.getElementById('new-collection').open && document.getElementById('c-title').value === 'Pour le bureau'`) {
		t.Error("the form was lost")
	}
	u.b.Errors() // the 422 answer
	u.open(colURL, "#items")
	// Reorder: the charter goes up one (the buttons drag and drop stands for).
	u.b.Navigates("move up", chromedp.Click(`#items li:nth-child(3) button[value="up"]`))
	names := browser.Eval[string](u.b, `[...document.querySelectorAll('#items li .item-body a')].map(a => a.textContent).join(',')`)
	if names != "statuts.txt,contacts.txt,charte.txt" {
		t.Fatalf("order %q", names)
	}
	u.screenshot("collection-editor")
	u.b.Navigates("log out", chromedp.Click(`form[action="/logout"] button`))
	for _, login := range []string{"nouveau", "nouvelle"} {
		if st := api.call("POST", "/api/v1/admin/users", map[string]any{"login": login, "password": userPassword, "role": "member"}, nil); st != 201 {
			t.Fatalf("create member: %d", st)
		}
	}

	// Who joined before it became a welcome collection is not greeted.
	u.login("ancien", userPassword)
	u.open("/browse/", "main")
	if browser.Eval[bool](u.b, `!!document.querySelector('#welcome')`) {
		t.Error("a member from before is greeted by the welcome collection")
	}
	u.b.Navigates("log out", chromedp.Click(`form[action="/logout"] button`))

	// The newcomer sees it on the home page and follows it to the end.
	u.login("nouveau", userPassword)
	u.b.WaitFor("welcome", `!!document.querySelector('#welcome')`)
	if got := u.text("#welcome-progress"); !strings.HasPrefix(got, "0/3") {
		t.Fatalf("welcome progress %q", got)
	}
	if got := u.text("#welcome a.btn.primary"); got != "Commencer" {
		t.Errorf("before starting, the button says %q", got)
	}
	u.screenshot("welcome")
	u.b.Navigates("start", chromedp.Click("#welcome a.btn.primary"))
	for i, name := range []string{"statuts.txt", "contacts.txt", "charte.txt"} {
		if !strings.Contains(u.text("h1"), name) || !strings.Contains(u.text("#trail"), "Élément "+string(rune('1'+i))+" sur 3") {
			t.Fatalf("item %d: %q, %q", i+1, u.text("h1"), u.text("#trail"))
		}
		if i == 0 {
			u.screenshot("collection-trail")
		}
		if i < 2 {
			u.b.Navigates("next item", chromedp.Click("#next-item"))
			u.clean("next item")
		}
	}
	if !strings.Contains(u.text("#trail-end"), "dernier") {
		t.Errorf("at the end: %q", u.text("#trail"))
	}
	u.open(colURL, "#items")
	if got := u.text("#c-progress-text"); !strings.HasPrefix(got, "3/3") {
		t.Fatalf("collection page progress %q", got)
	}
	u.open("/browse/", "main")
	if browser.Eval[bool](u.b, `!!document.querySelector('#welcome')`) {
		t.Error("a finished welcome collection still shows")
	}
	u.b.Navigates("log out", chromedp.Click(`form[action="/logout"] button`))

	// Another newcomer starts, then puts it away.
	u.login("nouvelle", userPassword)
	u.b.WaitFor("welcome", `!!document.querySelector('#welcome')`)
	u.b.Navigates("open the first item", chromedp.Click(`#welcome ol.items li:nth-child(1) a`))
	u.open("/browse/", "#welcome")
	if got := u.text("#welcome a.btn.primary"); got != "Reprendre là où vous en étiez" {
		t.Errorf("once started, the button says %q", got)
	}
	u.b.Navigates("put it away", chromedp.Click("#welcome-dismiss"))
	if browser.Eval[bool](u.b, `!!document.querySelector('#welcome')`) {
		t.Error("the dismissed welcome collection still shows")
	}
	u.open("/collections", "main")
	if !strings.Contains(u.text("main"), "Bienvenue à l'asso") {
		t.Error("the dismissed collection left the collections list")
	}
	u.b.Navigates("log out", chromedp.Click(`form[action="/logout"] button`))

	// The admin sees the member's progress.
	u.login("admin", server.AdminPassword)
	u.open(colURL, "#people")
	if got := u.text(`#people tr[data-login="nouveau"]`); !strings.Contains(got, "3/3") {
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
