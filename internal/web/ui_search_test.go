package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"notreasso/internal/testutil/browser"
)

// The search results page, with a backend plugged in through web.Searcher:
// hits, sanitised snippets (only <mark> survives), facets kept in the URL,
// pages. Its screenshots join the others when NOTREASSO_SCREENSHOTS is set.
func TestSearchPageWithBackend(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	base := benchServer(t)
	b := browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"})
	b.Do("log in", chromedp.Navigate(base+"/login"), chromedp.SendKeys("#login", "admin"), chromedp.SendKeys("#password", benchPassword))
	b.Navigates("submit", chromedp.Submit("#password"))
	b.Do("search", chromedp.Navigate(base+"/search?q=budget"), chromedp.WaitReady(".hitlist"))
	if n := browser.Eval[int](b, `document.querySelectorAll('.hit').length`); n != 20 {
		t.Errorf("%d hits shown, want 20", n)
	}
	if n := browser.Eval[int](b, `document.querySelectorAll('.snippet mark').length`); n != 40 {
		t.Errorf("%d <mark> in snippets, want 40", n)
	}
	if n := browser.Eval[int](b, `document.querySelectorAll('.snippet *:not(mark)').length`); n != 0 {
		t.Errorf("%d other elements survived in snippets", n)
	}
	if got := browser.Eval[string](b, `document.querySelector('#hits-h').textContent`); got != "137 résultats" {
		t.Errorf("total: %q", got)
	}
	// A facet adds its filter to the URL; the page keeps the query.
	b.Navigates("facet", chromedp.Click(`.facets a[href*="tag=ag"]`))
	if u := browser.Eval[string](b, "location.search"); !strings.Contains(u, "q=budget") || !strings.Contains(u, "tag=ag") {
		t.Errorf("facet URL: %s", u)
	}
	if on := browser.Eval[int](b, `document.querySelectorAll('.facets a.on').length`); on != 1 {
		t.Errorf("%d facets marked on", on)
	}
	if next := browser.Eval[string](b, `document.querySelector('.pager a[rel=next]').getAttribute('href')`); !strings.Contains(next, "page=2") || !strings.Contains(next, "tag=ag") {
		t.Errorf("next page link: %s", next)
	}
	if d := b.Dialogs(); len(d) > 0 {
		t.Fatalf("dialogs: %v", d)
	}
	if errs := b.Errors(); len(errs) > 0 {
		t.Fatalf("console errors: %v", errs)
	}
	if dir := os.Getenv("NOTREASSO_SCREENSHOTS"); dir != "" {
		dir, _ = filepath.Abs(dir)
		b.Do("search", chromedp.Navigate(base+"/search?q=budget"), chromedp.WaitReady(".hitlist"))
		b.Screenshot(dir, "search-results-desktop")
		b.Viewport(360, 740)
		b.Do("reload", chromedp.Reload())
		b.Screenshot(dir, "search-results-phone")
	}
}
