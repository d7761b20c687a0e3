package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"notreasso/internal/testutil/browser"
	"notreasso/internal/testutil/server"
)

// The rough edges a new user met, each walked through in the browser:
// the words after moving, renaming and deleting, the rename field, a file's
// type and search status, the activity of grants and groups, the error
// page on a phone and the throttled login.
func TestWebUIRoughEdges(t *testing.T) {
	srv := server.Start(t, server.Options{})
	api := admin(t, srv)
	api.call("POST", "/api/v1/folders/Bureau", nil, nil)
	for name, body := range map[string][]byte{
		"/Bureau/compte rendu.txt": []byte("compte rendu\n"), "/Bureau/budget.csv": []byte("poste;montant\n"),
		"/Bureau/rapport.pdf": makePDF("Rapport moral 2026 hippocampe"), "/Bureau/données.bin": {0, 1, 2, 3, 0xff, 0xfe, 0, 7},
	} {
		if st, _ := api.put(name, body); st != 201 {
			t.Fatalf("put %s: %d", name, st)
		}
	}
	api.call("POST", "/api/v1/admin/users", map[string]any{"login": "marie", "password": userPassword, "role": "member"}, nil)
	api.call("POST", "/api/v1/admin/groups", map[string]any{"name": "Bureau"}, nil)
	api.call("PUT", "/api/v1/admin/groups/Bureau/members/marie", nil, nil)
	api.call("POST", "/api/v1/grants/Bureau", map[string]any{"principal": "group:Bureau", "role": "editor"}, nil)

	u := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: srv.URL}
	u.login("admin", server.AdminPassword)
	u.open("/browse/Bureau", "#listing")

	// Rename: the field starts with the name.
	u.b.Do("select one", chromedp.Click(`#sel input[value="/Bureau/compte rendu.txt"]`))
	if v := browser.Eval[string](u.b, `document.getElementById('rename-to').value`); v != "compte rendu.txt" {
		t.Errorf("rename field starts with %q", v)
	}
	// A slash in the new name is refused clearly.
	u.b.Do("open rename", chromedp.Click(`#sel details.pop summary`), chromedp.WaitVisible("#rename-to"), chromedp.SetValue("#rename-to", "PV/2026.txt"))
	u.b.Navigates("rename with a slash", chromedp.Click(`button[formaction="/do/rename"]`))
	if got := u.text(".flash.err"); !strings.Contains(got, "ne peut pas contenir") {
		t.Errorf("a name with a slash: %q", got)
	}
	// Moving into the folder it is already in changes nothing, and says so.
	u.b.Do("select again", chromedp.Click(`#sel input[value="/Bureau/compte rendu.txt"]`), chromedp.Click(".bulk details:last-of-type summary"))
	u.b.Navigates("move into the same folder", chromedp.Click(`button[formaction="/do/move"]`))
	if got := u.text(".flash"); !strings.Contains(got, "Déjà dans ce dossier") {
		t.Errorf("moving into the same folder: %q", got)
	}
	// Deleting two items speaks of them in the plural.
	u.b.Do("select two", chromedp.Click(`#sel input[value="/Bureau/compte rendu.txt"]`), chromedp.Click(`#sel input[value="/Bureau/budget.csv"]`))
	if v := browser.Eval[string](u.b, `document.getElementById('rename-to').value`); v != "" {
		t.Errorf("two selected, the rename field says %q", v)
	}
	u.b.Navigates("delete two", chromedp.Click("#bulk-delete"))
	if got := u.text(".flash.ok"); !strings.Contains(got, "les restaurer") {
		t.Errorf("deleting two items: %q", got)
	}
	u.clean("browse actions")

	// A file's page names its type and says whether its text is searchable.
	search := api.do("GET", "/api/v1/search?q=test", nil, nil)
	search.Body.Close()
	enabled := search.StatusCode == 200
	for _, f := range []struct{ path, typ, extract string }{
		{"/Bureau/rapport.pdf", "Document PDF (PDF)", "Texte indexé"},
		{"/Bureau/données.bin", "Autre fichier (BIN)", "Format non pris en charge"},
	} {
		if !enabled {
			f.extract = "pas activée"
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			u.open("/file/"+escapePath(f.path), "#file-type")
			if strings.Contains(u.text("#file-extract"), f.extract) || time.Now().After(deadline) {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if got := u.text("#file-type"); got != f.typ {
			t.Errorf("%s: type %q, want %q", f.path, got, f.typ)
		}
		if got := u.text("#file-extract"); !strings.Contains(got, f.extract) {
			t.Errorf("%s: search status %q, want %q", f.path, got, f.extract)
		}
	}

	// Grants and groups read as sentences on /activity.
	u.open("/activity", "#activity")
	act := u.text("#activity")
	for _, want := range []string{"a créé le groupe Bureau", "a ajouté marie à un groupe", "a changé les droits sur /Bureau"} {
		if !strings.Contains(act, want) {
			t.Errorf("activity lacks %q:\n%s", want, act)
		}
	}
	if strings.Contains(act, "act.") || strings.Contains(act, "actgroup.") {
		t.Errorf("raw message ids on /activity:\n%s", act)
	}

	// The error page on a phone: the status code is not broken over lines.
	u.b.Viewport(360, 740)
	u.b.Do("a missing page", chromedp.Navigate(u.base+"/file/Bureau/absent.txt"), chromedp.WaitReady(".status-code"))
	if got := u.text(".status-code"); !strings.Contains(got, "404") {
		t.Errorf("error page code: %q", got)
	}
	if lines := browser.Eval[int](u.b, `(() => { const r = document.createRange(); r.selectNodeContents(document.querySelector('.status-code')); return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size })()`); lines != 1 {
		t.Errorf("the status code spans %d lines", lines)
	}
	u.b.ResetViewport()

	// Throttled login: the form stays, with how long to wait.
	u.b.Navigates("log out", chromedp.Click(`form[action="/logout"] button`))
	for i := 0; i < 8; i++ {
		u.b.Do("open login", chromedp.Navigate(u.base+"/login"), chromedp.WaitVisible("#login"),
			chromedp.SendKeys("#login", "marie"), chromedp.SendKeys("#password", "mauvais"))
		u.b.Navigates("wrong password", chromedp.Submit("#password"))
		if strings.Contains(u.text(".flash.err"), "Attendez") {
			break
		}
	}
	if got := u.text(".flash.err"); !strings.Contains(got, "Attendez") || !strings.Contains(got, "seconde") {
		t.Errorf("throttled login says %q", got)
	}
	if !browser.Eval[bool](u.b, `!!document.querySelector('form[action="/login"] #password')`) {
		t.Error("the throttled login page has no form")
	}
	u.b.Errors() // 401/429 answers are logged by the browser
}
