package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"notreasso/internal/testutil/browser"
	"notreasso/internal/testutil/server"
)

// The forgiving search in Chromium: suggestions as you type in the
// search box (a <datalist>), the folder scope box, « Vouliez-vous dire »
// as a link, the partial-match notice with struck words — by keyboard,
// in French, and no wider than a phone.
func TestSearchUIForgives(t *testing.T) {
	srv := server.Start(t, server.Options{})
	u := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: srv.URL, shots: screenshotDir(t)}
	c := admin(t, srv)
	c.call("POST", "/api/v1/folders/Public", nil, nil)
	c.call("POST", "/api/v1/folders/Autre", nil, nil)
	c.put("/Public/demande.txt", []byte("Demande de subventions pour la kermesse du quartier."))
	c.put("/Public/Budget kermesse.txt", []byte("Recettes et dépenses : buvette, tombola."))
	c.put("/Autre/subventions-autre.txt", []byte("Autres subventions."))
	waitFound(t, c, "kermesse", "/Public/demande.txt")
	waitFound(t, c, "tombola", "/Public/Budget kermesse.txt")
	waitFound(t, c, "autres", "/Autre/subventions-autre.txt")
	if st := c.call("POST", "/api/v1/collections", map[string]any{"title": "Kermesse pas à pas", "audience": map[string]any{"members": true}}, nil); st != 201 {
		t.Fatalf("collection: %d", st)
	}

	u.login("admin", server.AdminPassword)
	u.open("/browse/Public", "#scope")
	if got := u.text("label.scope"); got != "dans ce dossier" {
		t.Errorf("scope label %q", got)
	}
	// Suggestions while typing.
	u.b.Do("type", chromedp.Focus("#q"), chromedp.SendKeys("#q", "kerm"))
	u.b.WaitFor("suggestions", `[...document.querySelectorAll('#q-suggest option')].some(o => o.value === 'Budget kermesse.txt')`)
	// A collection among them, named as such; picking it in the list (the
	// event the browser sends when an option is chosen, by keyboard or
	// touch) opens it.
	u.b.WaitFor("collection suggested", `[...document.querySelectorAll('#q-suggest option')].some(o => o.value === 'Kermesse pas à pas' && o.label === 'Kermesse pas à pas — collection')`)
	u.b.Navigates("pick the collection", chromedp.Evaluate[chromedp.Void](`(() => { const q = document.querySelector('#q'); q.value = 'Kermesse pas à pas';
		q.dispatchEvent(new InputEvent('input', {inputType: 'insertReplacementText', bubbles: true})); })()`))
	if p := browser.Eval[string](u.b, "location.pathname"); !strings.HasPrefix(p, "/collections/") {
		t.Errorf("picking the collection opened %s", p)
	}
	u.open("/browse/Public", "#scope")
	// The scope box, then Enter in the box: the full search, in the folder.
	u.b.Do("scope and search", chromedp.Click("#scope"), chromedp.SetValue("#q", "subvension"), chromedp.Focus("#q"))
	u.b.Navigates("enter", chromedp.KeyEvent(kb.Enter))
	if q := browser.Eval[string](u.b, "location.search"); !strings.Contains(q, "q=subvension") || !strings.Contains(q, "folder=%2FPublic") {
		t.Errorf("search URL %s", q)
	}
	if got := u.text("#did-you-mean"); !strings.HasPrefix(got, "Vouliez-vous dire subventions") {
		t.Errorf("did you mean: %q", got)
	}
	u.b.Navigates("follow the correction", chromedp.Click("#did-you-mean a"))
	paths := browser.Eval[string](u.b, `[...document.querySelectorAll('.hit .path')].map(p => p.textContent).join('|')`)
	if !strings.Contains(paths, "/Public/demande.txt") || strings.Contains(paths, "/Autre/") {
		t.Errorf("corrected search in /Public: %s", paths)
	}
	u.clean("did you mean")

	u.open("/search?q="+"kermesse+quartier+piscine", "#partial-notice")
	if got := u.text("#partial-notice"); !strings.Contains(got, "Aucun document ne contient tous les mots ; voici ceux qui en contiennent le plus") {
		t.Errorf("notice %q", got)
	}
	if got := u.text(".hit .missing s"); got != "piscine" {
		t.Errorf("struck word %q", got)
	}
	if snip := u.text(".snippet"); strings.Contains(snip, "… …") {
		t.Errorf("doubled ellipsis: %q", snip)
	}
	u.screenshot("search-partial")
}
