package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"notreasso/internal/testutil/browser"
	"notreasso/internal/testutil/server"
)

// The roles pages in headless Chromium, in French: an administrator opens
// « Comptes » to the treasurer role and records terms through the pages'
// own forms; the register, a role's page, the handover page and the
// account page of a role holder pass axe-core at 1280 and 360 px, and are
// photographed for docs/screenshots.
func TestRolesUI(t *testing.T) {
	wd := newWorld(t, server.Options{})
	wd.mustCall(201, "POST", "/api/v1/folders/Comptes", nil)
	wd.mustCall(201, "POST", "/api/v1/folders/Bureau/PV?parents=1", nil)
	wd.put("/Bureau/PV/pv-ag-2025-06-14.txt", "Procès-verbal de l'assemblée générale du 14 juin 2025")
	wd.mustCall(200, "PATCH", "/api/v1/admin/users/marie", map[string]any{"display_name": "Marie Curie"})
	wd.mustCall(200, "PATCH", "/api/v1/admin/users/paul", map[string]any{"display_name": "Paul Langevin"})
	wd.mustCall(200, "PATCH", "/api/v1/admin/users/lea", map[string]any{"display_name": "Léa Martin"})
	// The history: earlier terms, through the API.
	for _, tm := range []map[string]any{
		{"role": "treasurer", "login": "lea", "start": "2021-06-12", "end": "2025-06-14", "decision": "AG du 12 juin 2021"},
		{"role": "president", "login": "paul", "start": "2023-06-10", "decision": "AG du 10 juin 2023", "decision_document": "/Bureau/PV/pv-ag-2025-06-14.txt"},
		{"role": "secretary", "login": "lea", "start": "2025-06-14", "end": time.Now().AddDate(0, 0, 20).Format("2006-01-02"), "decision": "AG du 14 juin 2025"},
	} {
		wd.mustCall(201, "POST", "/api/v1/admin/terms", tm)
	}
	// What Léa made as treasurer, for the handover page: a link and a drop
	// box on « Comptes », and a collection.
	wd.mustCall(200, "POST", "/api/v1/grants/Comptes", map[string]any{"principal": "user:lea", "role": "manager"})
	lea := wd.users["lea"]
	for _, l := range []map[string]any{{"path": "/Comptes", "label": "pour le commissaire aux comptes"}, {"path": "/Comptes", "kind": "dropbox", "label": "factures"}} {
		if st := lea.call("POST", "/api/v1/shares", l, nil); st != 201 {
			t.Fatalf("léa's link: %d", st)
		}
	}
	wd.mustCall(204, "DELETE", "/api/v1/grants/Comptes?principal=user:lea", nil)
	// Paul, a guest, may not read the minutes: his own terms do not name them.
	st, mine := raw(wd.users["paul"], "GET", "/api/v1/me/terms")
	if st != 200 || !strings.Contains(mine, "AG du 10 juin 2023") || strings.Contains(mine, "pv-ag") {
		t.Errorf("paul's terms: %d %s", st, mine)
	}
	if _, all := raw(wd.admin, "GET", "/api/v1/admin/terms"); !strings.Contains(all, `"decision_document":"/Bureau/PV/pv-ag-2025-06-14.txt"`) {
		t.Errorf("the register does not name the minutes to an administrator: %s", all)
	}
	axe := browser.AxeScript(t)
	u := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: wd.srv.URL, shots: screenshotDir(t)}
	u.login("admin", server.AdminPassword)

	// Record Marie as treasurer with the page's form.
	u.open("/admin/roles", "#roles")
	u.b.Do("fill the term form",
		chromedp.SetValue("#term-role", "Trésorier·e"),
		chromedp.SendKeys("#term-login", "marie"),
		chromedp.SetValue("#term-start", "2025-06-14"),
		chromedp.SendKeys("#term-decision", "AG du 14 juin 2025"),
		chromedp.SendKeys("#term-doc", "/Bureau/PV/pv-ag-2025-06-14.txt"))
	u.b.Navigates("record the term", chromedp.Click("#add-term"))
	u.clean("term recorded")
	if got := u.text(".flash"); !strings.Contains(got, "Mandat inscrit") {
		t.Fatalf("after recording a term: %q", got)
	}
	if got := u.text("#roles"); !strings.Contains(got, "Marie Curie") || !strings.Contains(got, "Paul Langevin") {
		t.Errorf("the roles table: %q", got)
	}
	if got := u.text("#terms-ending"); !strings.Contains(got, "Léa Martin") {
		t.Errorf("the notice of terms ending soon: %q", got)
	}
	// Open « Comptes » to the role from its page.
	u.open("/admin/roles/Tr%C3%A9sorier%C2%B7e", "#add-folder")
	u.b.Do("open Comptes", chromedp.SendKeys("#grant-path", "/Comptes"), chromedp.SetValue("#grant-level", "viewer"))
	u.b.Navigates("give the folder", chromedp.Click("#add-folder-btn"))
	u.clean("folder given")
	if got := u.text("#role-folders"); !strings.Contains(got, "/Comptes") {
		t.Errorf("the role's folders: %q", got)
	}
	var g struct {
		Grants []struct{ Principal string } `json:"grants"`
	}
	wd.admin.call("GET", "/api/v1/grants/Comptes", nil, &g)
	if len(g.Grants) == 0 || g.Grants[len(g.Grants)-1].Principal != "role:Trésorier·e" {
		t.Errorf("grants on /Comptes: %+v", g.Grants)
	}
	// The share panel offers the roles beside the groups.
	u.open("/share/Comptes", "#add-grant")
	if n := browser.Eval[int](u.b, `document.querySelectorAll('#principals option[value^="role:"]').length`); n < 5 {
		t.Errorf("the share panel offers %d roles", n)
	}
	if got := u.text("#grants"); !strings.Contains(got, "Trésorier·e") {
		t.Errorf("the share panel's grants: %q", got)
	}

	var reg struct {
		Terms []struct {
			ID    int64  `json:"id"`
			Login string `json:"login"`
			Role  string `json:"role"`
		} `json:"terms"`
	}
	wd.admin.call("GET", "/api/v1/admin/terms", nil, &reg)
	var leaTreasurer int64
	for _, r := range reg.Terms {
		if r.Login == "lea" && r.Role == "Trésorier·e" {
			leaTreasurer = r.ID
		}
	}
	pages := []struct{ path, ready, shot string }{
		{"/admin/roles", "#roles", "roles"},
		{"/admin/roles/Tr%C3%A9sorier%C2%B7e", "#role-terms", "role"},
		{"/admin/terms", "#register", "register"},
		{fmt.Sprintf("/handover/%d", leaTreasurer), "#ho-links-h", "handover"},
	}
	check := func(path, ready, shot string) {
		t.Helper()
		u.open(path, ready)
		for _, w := range []int64{1280, 360} {
			u.b.Viewport(w, 800)
			u.b.Do("reload "+path, chromedp.Reload(), chromedp.WaitReady(ready))
			for _, v := range u.b.Axe(axe) {
				if v.Impact == "serious" || v.Impact == "critical" {
					t.Errorf("%s at %d px: %s", path, w, v)
				}
			}
		}
		u.b.ResetViewport()
		if shot != "" {
			u.open(path, ready)
			u.screenshot(shot)
		}
	}
	for _, p := range pages {
		check(p.path, p.ready, p.shot)
	}
	u.open("/admin/terms", "#register")
	if got := u.text("#register"); !strings.Contains(got, "AG du 12 juin 2021") || !strings.Contains(got, "terminé") {
		t.Errorf("the register: %q", got)
	}

	// Marie's account page: her term, the minutes she may read.
	m := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: wd.srv.URL, shots: u.shots}
	m.login("marie", userPassword)
	m.open("/account", "#my-roles")
	if got := m.text("#my-roles"); !strings.Contains(got, "Trésorier·e") || !strings.Contains(got, "AG du 14 juin 2025") ||
		!strings.Contains(got, "Passation avec Léa Martin") {
		t.Errorf("marie's roles: %q", got)
	}
	if n := browser.Eval[int](m.b, `document.querySelectorAll('#my-roles a[href="/file/Bureau/PV/pv-ag-2025-06-14.txt"]').length`); n != 1 {
		t.Errorf("the minutes' link on marie's account page: %d", n)
	}
	for _, w := range []int64{1280, 360} {
		m.b.Viewport(w, 800)
		m.b.Do("reload", chromedp.Reload(), chromedp.WaitReady("#my-roles"))
		for _, v := range m.b.Axe(axe) {
			if v.Impact == "serious" || v.Impact == "critical" {
				t.Errorf("/account at %d px: %s", w, v)
			}
		}
	}
	m.b.ResetViewport()
	m.open("/account", "#my-roles")
	m.b.Do("scroll to my roles", chromedp.ScrollIntoView("#my-roles"))
	m.screenshot("account-roles")
}
