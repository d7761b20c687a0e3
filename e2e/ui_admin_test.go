package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"notreasso/internal/testutil/browser"
	"notreasso/internal/testutil/server"
)

// Browser tests of the administration and account pages, each a whole
// task: groups, app passwords with rclone, retention and trash, and a
// password-reset link. Screenshots at 1280 and 360 px.

func adminUI(t *testing.T) (*server.Server, *ui, *client) {
	t.Helper()
	srv := server.Start(t, server.Options{})
	u := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: srv.URL, shots: screenshotDir(t)}
	return srv, u, admin(t, srv)
}

func mustAPI(t *testing.T, c *client, want int, method, path string, in any) {
	t.Helper()
	var out map[string]any
	if st := c.call(method, path, in, &out); st != want {
		t.Fatalf("%s %s: %d %v, want %d", method, path, st, out, want)
	}
}

// The admin creates the group « Bureau », adds two people by picking them
// from the suggestions (by display name and by login), sees the folders
// the group reaches, then removes one.
func TestUIGroups(t *testing.T) {
	srv, u, api := adminUI(t)
	for _, p := range []struct{ login, name string }{{"marie", "Marie Curie"}, {"paul.martin", "Paul Martin"}, {"jeanne", "Jeanne Barret"}} {
		mustAPI(t, api, 201, "POST", "/api/v1/admin/users", map[string]any{"login": p.login, "password": userPassword, "role": "member", "display_name": p.name})
	}
	mustAPI(t, api, 201, "POST", "/api/v1/folders/Bureau%20(priv%C3%A9)", nil)

	u.login("admin", server.AdminPassword)
	u.open("/admin/groups", "#create-group")
	u.b.Do("name the group", chromedp.SendKeys("#group-name", "Bureau"))
	u.b.Navigates("create the group", chromedp.Click("#create-group"))
	u.clean("group created")
	if got := u.text("h1"); got != "Bureau" {
		t.Fatalf("after creating the group, page %q", got)
	}

	// By display name: "Curie" finds marie; a click picks her.
	u.b.Do("type a name", chromedp.SendKeys("#member-login", "Curie"))
	u.b.WaitFor("marie suggested", `!document.getElementById('member-suggest').hidden && !!document.querySelector('#member-suggest [data-login="marie"]')`)
	if n := browser.Eval[int](u.b, `document.querySelectorAll('#member-suggest [role=option]').length`); n != 1 {
		t.Errorf("%d suggestions for Curie, want 1", n)
	}
	u.b.Do("pick marie", chromedp.Click(`#member-suggest [data-login="marie"]`))
	if v := browser.Eval[string](u.b, `document.getElementById('member-login').value`); v != "marie" {
		t.Fatalf("field after picking: %q", v)
	}
	u.b.Navigates("add marie", chromedp.Click("#add-member-btn"))
	u.clean("marie added")
	// By the start of a login, with the keyboard.
	u.b.Do("type a login", chromedp.SendKeys("#member-login", "paul"))
	u.b.WaitFor("paul suggested", `!!document.querySelector('#member-suggest [data-login="paul.martin"]')`)
	if browser.Eval[bool](u.b, `!!document.querySelector('#member-suggest [data-login="marie"]')`) {
		t.Error("a member already in the group is suggested again")
	}
	u.b.Do("highlight paul", chromedp.SendKeys("#member-login", kb.ArrowDown))
	if v := browser.Eval[string](u.b, `document.getElementById('member-login').getAttribute('aria-activedescendant')`); v != "member-suggest-0" {
		t.Errorf("highlighted suggestion: %q", v)
	}
	u.b.Navigates("pick and add paul with Enter", chromedp.SendKeys("#member-login", kb.Enter))
	u.clean("paul added")
	var g struct{ Members []string }
	if st := api.call("GET", "/api/v1/admin/groups/Bureau", nil, &g); st != 200 || strings.Join(g.Members, ",") != "marie,paul.martin" {
		t.Fatalf("group after two additions: %d %v", st, g.Members)
	}
	if got := u.text("#members"); !strings.Contains(got, "Marie Curie") || !strings.Contains(got, "Paul Martin") {
		t.Errorf("members list: %q", got)
	}

	// A folder opened to the group from its page; the folders it reaches
	// link to them.
	if !browser.Eval[bool](u.b, `[...document.querySelectorAll('#grant-folders option')].some(o => o.value === '/Bureau (privé)')`) {
		t.Error("the folder is not suggested")
	}
	u.b.Do("folder", chromedp.SendKeys("#grant-path", "/Bureau (privé)"))
	u.b.Navigates("open the folder to the group", chromedp.Click("#add-folder-btn"))
	u.clean("folder opened")
	var gr struct {
		Grants []struct{ Principal, Role string }
	}
	api.call("GET", "/api/v1/grants/Bureau%20(priv%C3%A9)", nil, &gr)
	if len(gr.Grants) == 0 || gr.Grants[len(gr.Grants)-1].Principal != "group:Bureau" || gr.Grants[len(gr.Grants)-1].Role != "editor" {
		t.Fatalf("grants after opening the folder: %+v", gr.Grants)
	}
	if got := u.text("#group-folders"); !strings.Contains(got, "/Bureau (privé)") || !strings.Contains(got, "modification") {
		t.Errorf("folders of the group: %q", got)
	}
	if href := browser.Eval[string](u.b, `document.querySelector('#group-folders a').getAttribute('href')`); href != "/browse/Bureau%20%28priv%C3%A9%29" && href != "/browse/Bureau%20(priv%C3%A9)" {
		t.Errorf("folder link %q", href)
	}
	u.screenshot("admin-group")
	u.open("/admin/groups", "#groups")
	if got := u.text("#groups"); !strings.Contains(got, "2 membres") || !strings.Contains(got, "1 dossier") {
		t.Errorf("groups list: %q", got)
	}
	u.screenshot("admin-groups")
	u.open("/admin", "#accounts")
	u.screenshot("admin")

	// Removing a member, renaming, deleting.
	u.open("/admin/groups/Bureau", "#members")
	u.b.Navigates("remove marie", chromedp.Click(`#members form button[aria-label*="marie"]`))
	if st := api.call("GET", "/api/v1/admin/groups/Bureau", nil, &g); st != 200 || strings.Join(g.Members, ",") != "paul.martin" {
		t.Fatalf("group after removing marie: %d %v", st, g.Members)
	}
	browser.Eval[string](u.b, `document.getElementById('rename').value = 'Bureau 2026'`)
	u.b.Navigates("rename", chromedp.Submit("#rename"))
	if got := u.text("h1"); got != "Bureau 2026" {
		t.Fatalf("after renaming: %q", got)
	}
	u.b.Do("open delete", chromedp.Click("details.confirm summary"))
	u.b.Navigates("delete", chromedp.Click("#delete-group"))
	u.clean("group deleted")
	if st := api.call("GET", "/api/v1/admin/groups/Bureau%202026", nil, nil); st != 404 {
		t.Errorf("deleted group: %d", st)
	}
	var grants struct{ Grants []struct{ Principal string } }
	api.call("GET", "/api/v1/grants/Bureau%20(priv%C3%A9)", nil, &grants)
	for _, gr := range grants.Grants {
		if strings.HasPrefix(gr.Principal, "group:") {
			t.Errorf("a grant of the deleted group is left: %+v", gr)
		}
	}
	_ = srv
}

// runMaybe runs a command and returns its output and error (for commands
// expected to fail).
func runMaybe(dir string, env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// A member creates an app password in My account; Debian's rclone uses it
// over WebDAV; once revoked, rclone is refused. The secret is shown once:
// a reload neither shows it again nor makes another one.
func TestUIAppPasswordRclone(t *testing.T) {
	tool(t, "rclone")
	srv, u, api := adminUI(t)
	mustAPI(t, api, 201, "POST", "/api/v1/admin/users", map[string]any{"login": "marie", "password": userPassword, "role": "member"})
	mustAPI(t, api, 201, "POST", "/api/v1/folders/Atelier", nil)
	api.put("/Atelier/planning.txt", []byte("planning de l'atelier"))

	u.login("marie", userPassword)
	u.open("/account", "#create-app")
	u.b.Do("name the device", chromedp.SendKeys("#app-name", "rclone portable"))
	u.b.Navigates("create", chromedp.Click("#create-app"))
	u.clean("app password created")
	secret := browser.Eval[string](u.b, `document.getElementById('app-secret').value`)
	if len(secret) != 35 {
		t.Fatalf("app password %q", secret)
	}
	if !browser.Eval[bool](u.b, `!document.querySelector('[data-copy="app-secret"]').hidden`) {
		t.Error("no copy button for the app password")
	}
	if p := browser.Eval[string](u.b, `location.pathname + location.search`); p != "/account?ok=app_password_created" {
		t.Errorf("after creating, the page is %q (want a redirect)", p)
	}
	u.screenshot("account-app-password")
	u.b.Navigates("reload", chromedp.Reload())
	if browser.Eval[bool](u.b, `!!document.getElementById('app-secret')`) {
		t.Error("the secret is shown again after a reload")
	}
	if n := browser.Eval[int](u.b, `document.querySelectorAll('#app-list li').length`); n != 1 {
		t.Fatalf("%d app passwords after a reload, want 1", n)
	}
	if got := u.text("#app-list"); !strings.Contains(got, "rclone portable") || !strings.Contains(got, "jamais utilisé") {
		t.Errorf("list before use: %q", got)
	}

	home := t.TempDir()
	env := []string{"RCLONE_CONFIG=" + filepath.Join(home, "rclone.conf"), "HOME=" + home}
	pass := strings.TrimSpace(run(t, home, env, "", "rclone", "obscure", secret))
	remote := fmt.Sprintf(":webdav,url='%s/dav/',vendor=owncloud,user=marie,pass=%s:", srv.URL, pass)
	if out := run(t, home, env, "", "rclone", "lsf", "-R", remote); !strings.Contains(out, "Atelier/planning.txt") {
		t.Fatalf("rclone lsf with the app password:\n%s", out)
	}
	src := filepath.Join(home, "envoi")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "compte-rendu.txt"), []byte("compte rendu"), 0o644)
	run(t, home, env, "", "rclone", "copy", src, remote+"Atelier")
	if st, body, _ := api.get("/Atelier/compte-rendu.txt", nil); st != 200 || string(body) != "compte rendu" {
		t.Fatalf("file copied by rclone: %d %q", st, body)
	}
	u.open("/account", "#app-list")
	if got := u.text("#app-list"); !strings.Contains(got, "dernière utilisation") {
		t.Errorf("list after use: %q", got)
	}

	// The private feed address: made by a form, shown once after the
	// redirect; a reload makes no new one.
	u.b.Navigates("feed token", chromedp.Click("#feed-token"))
	if p := browser.Eval[string](u.b, `location.pathname + location.search`); p != "/account?ok=feed_token" || !strings.Contains(u.text("#feed-url"), "?token=") {
		t.Errorf("after making a feed address: %s %q", p, u.text("#feed-url"))
	}
	u.b.Navigates("reload", chromedp.Reload())
	if browser.Eval[bool](u.b, `!!document.getElementById('feed-url')`) {
		t.Error("the feed address is shown again after a reload")
	}

	u.b.Navigates("revoke", chromedp.Click(`#app-list form button`))
	u.clean("revoked")
	if browser.Eval[bool](u.b, `!!document.querySelector('#app-list')`) {
		t.Error("the revoked password is still listed")
	}
	out, err := runMaybe(home, env, "rclone", "lsf", "--low-level-retries", "1", "--retries", "1", remote)
	if err == nil || strings.Contains(out, "Atelier/") {
		t.Fatalf("rclone after revoking: err=%v\n%s", err, out)
	}
}

// The admin sets a retention rule on a folder, reads it back in words,
// deletes one trash item for good and empties the rest of the trash.
func TestUIRetentionAndTrash(t *testing.T) {
	_, u, api := adminUI(t)
	mustAPI(t, api, 201, "POST", "/api/v1/folders/Statuts", nil)
	for i := 1; i <= 3; i++ {
		api.put("/Statuts/statuts.txt", []byte(fmt.Sprintf("Statuts, version %d", i)))
	}
	api.call("PATCH", "/api/v1/versions/Statuts/statuts.txt", map[string]any{"version": 1, "label": "Version déposée", "pinned": true}, nil)
	for _, name := range []string{"brouillon.txt", "ancien.txt", "vieux.txt"} {
		api.put("/Statuts/"+name, []byte(name))
		if st := api.call("DELETE", "/api/v1/files/Statuts/"+name, nil, nil); st != 204 && st != 200 {
			t.Fatalf("delete %s: %d", name, st)
		}
	}

	u.login("admin", server.AdminPassword)
	u.open("/browse/Statuts", "#folder-retention")
	u.b.Navigates("open retention", chromedp.Click("#folder-retention"))
	u.clean("retention page")
	if got := u.text("#ret-summary"); !strings.Contains(got, "une par heure jusqu'à 1 jour") {
		t.Errorf("default rule in words: %q", got)
	}
	if got := u.text("#kept"); !strings.Contains(got, "Version déposée") {
		t.Errorf("pinned versions: %q", got)
	}
	u.b.Do("fill the rule", chromedp.Click("#m-schedule"), chromedp.SetValue("#r-every_for", "30d"),
		chromedp.SetValue("#r-hourly_for", "0"), chromedp.SetValue("#r-daily_for", "90d"), chromedp.SetValue("#r-weekly_for", "0"),
		chromedp.SetValue("#r-max", "20"), chromedp.SendKeys("#r-note", "statuts : 3 mois"))
	u.b.Navigates("save the rule", chromedp.Click("#save-rule"))
	u.clean("rule saved")
	want := "Garder toutes les versions pendant 30 jours, puis une par jour jusqu'à 90 jours, puis rien de plus ancien ; au plus 20 versions."
	if got := u.text("#ret-summary"); got != want {
		t.Errorf("rule in words:\n got  %q\n want %q", got, want)
	}
	if got := u.text("#ret-origin"); !strings.Contains(got, "propre à ce dossier") {
		t.Errorf("rule origin: %q", got)
	}
	var rule struct {
		Own struct {
			Rule struct {
				DailyFor    string `json:"daily_for"`
				MaxVersions int    `json:"max_versions"`
				Note        string `json:"note"`
			} `json:"rule"`
		} `json:"own"`
	}
	if st := api.call("GET", "/api/v1/retention/Statuts", nil, &rule); st != 200 || rule.Own.Rule.DailyFor != "90d" || rule.Own.Rule.MaxVersions != 20 || rule.Own.Rule.Note != "statuts : 3 mois" {
		t.Fatalf("rule through the API: %d %+v", st, rule)
	}
	u.screenshot("retention")
	u.b.Navigates("switch to English", chromedp.Click("#switch-lang"))
	if got := u.text("#ret-summary"); got != "Keep every version for 30 days, then one per day up to 90 days old, then nothing older; at most 20 versions." {
		t.Errorf("rule in English: %q", got)
	}
	u.b.Navigates("back to French", chromedp.Click("#switch-lang"))
	u.open("/retention/", "#rules")
	if got := u.text("#rules"); !strings.Contains(got, "/Statuts") || !strings.Contains(got, "90 jours") {
		t.Errorf("rules overview: %q", got)
	}

	// The trash: purge dates, one item for good, then the rest.
	u.open("/trash", "#trash")
	if n := browser.Eval[int](u.b, `document.querySelectorAll('#trash tbody tr time').length`); n != 6 {
		t.Errorf("%d dates in the trash, want a deletion and a purge date per item (6)", n)
	}
	u.screenshot("trash-items")
	u.b.Do("open the purge of one item", chromedp.Click(`#trash tbody tr:first-child summary[aria-label^="Supprimer définitivement"]`))
	u.b.Navigates("purge it", chromedp.Click(`#trash tbody tr:first-child form[action="/do/trash/purge"] button`))
	u.clean("purged")
	if n := browser.Eval[int](u.b, `document.querySelectorAll('#trash tbody tr').length`); n != 2 {
		t.Fatalf("%d items after purging one, want 2", n)
	}
	u.b.Do("open empty", chromedp.Click("#empty-trash summary"))
	u.b.Navigates("empty the trash", chromedp.Click("#empty-confirm"))
	u.clean("emptied")
	if !strings.Contains(u.text(".flash.ok"), "Corbeille vidée") || !browser.Eval[bool](u.b, `!!document.querySelector('main .empty')`) {
		t.Errorf("after emptying: %q", u.text("main"))
	}
	var trash struct{ Items []any }
	if st := api.call("GET", "/api/v1/trash", nil, &trash); st != 200 || len(trash.Items) != 0 {
		t.Errorf("trash through the API after emptying: %d %d items", st, len(trash.Items))
	}
}

// The admin makes a password-reset link for a member; the member opens it
// in a fresh browser, chooses a password and logs in with it. The link
// works once; the old password no longer does. The audit log shows it.
func TestUIPasswordReset(t *testing.T) {
	srv, u, api := adminUI(t)
	mustAPI(t, api, 201, "POST", "/api/v1/admin/users", map[string]any{"login": "jeanne", "password": userPassword, "role": "member", "display_name": "Jeanne Barret"})

	u.login("admin", server.AdminPassword)
	u.open("/admin", "#accounts")
	u.b.Navigates("manage jeanne", chromedp.Click(`#u-jeanne a[href="/admin/users/jeanne"]`))
	u.b.Navigates("make a link", chromedp.Click("#make-reset"))
	u.clean("reset link")
	link := browser.Eval[string](u.b, `document.getElementById('reset-url').value`)
	if !strings.HasPrefix(link, srv.URL+"/reset/") {
		t.Fatalf("reset link %q", link)
	}
	u.screenshot("admin-user")
	u.b.Navigates("reload", chromedp.Reload())
	if browser.Eval[bool](u.b, `!!document.getElementById('reset-url')`) || !strings.Contains(u.text("#reset-pending"), "valable jusqu") {
		t.Errorf("after a reload: link shown again, or no pending notice: %q", u.text("#reset"))
	}

	// Jeanne, in another browser.
	j := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: srv.URL, shots: u.shots}
	j.b.Do("open the link", chromedp.Navigate(link), chromedp.WaitVisible("#new"))
	j.clean("reset page")
	if got := j.text("main"); !strings.Contains(got, "jeanne") {
		t.Errorf("reset page does not name the account: %q", got)
	}
	j.screenshot("reset")
	const newPassword = "un nouveau mot de passe"
	j.b.Do("type", chromedp.SendKeys("#new", newPassword), chromedp.SendKeys("#again", newPassword))
	j.b.Navigates("save", chromedp.Click("#reset-submit"))
	j.clean("password set")
	if !strings.Contains(j.text(".flash.ok"), "Mot de passe enregistré") {
		t.Fatalf("after setting the password: %q", j.text("main"))
	}
	j.b.Do("log in", chromedp.WaitVisible("#login"), chromedp.SendKeys("#login", "jeanne"), chromedp.SendKeys("#password", newPassword))
	j.b.Navigates("submit login", chromedp.Submit("#password"))
	j.open("/account", "main")
	if got := j.text("#me-h"); got != "jeanne" {
		t.Fatalf("logged in as %q", got)
	}
	if st := newClient(t, srv, "jeanne", userPassword).call("GET", "/api/v1/me", nil, nil); st != 401 {
		t.Errorf("the old password still works: %d", st)
	}
	j.b.Do("open the link again", chromedp.Navigate(link), chromedp.WaitVisible("#reset-invalid"))

	// The audit log tells the story, filtered by person and kind.
	u.open("/admin/audit?kind=accounts", "#audit")
	if got := u.text("#audit"); !strings.Contains(got, "a créé un lien de mot de passe pour jeanne") || !strings.Contains(got, "a choisi un nouveau mot de passe") {
		t.Errorf("audit log: %q", got)
	}
	u.screenshot("audit")
	u.b.Do("filter by jeanne", chromedp.SetValue("#f-actor", "jeanne"))
	u.b.Navigates("filter", chromedp.Submit("#f-actor"))
	if rows := browser.Eval[[]string](u.b, `[...document.querySelectorAll('#audit tbody tr')].map(r => r.dataset.action)`); len(rows) != 1 || rows[0] != "user_reset_done" {
		t.Errorf("jeanne's entries: %v", rows)
	}
	// Pages of 50, newest first.
	for i := 0; i < 55; i++ {
		mustAPI(t, api, 201, "POST", "/api/v1/admin/groups", map[string]any{"name": fmt.Sprintf("Atelier %02d", i)})
	}
	u.open("/admin/audit", "#audit")
	if first := u.text("#audit tbody tr:first-child"); !strings.Contains(first, "Atelier 54") {
		t.Errorf("newest entry first: %q", first)
	}
	u.b.Navigates("older", chromedp.Click("#audit-next"))
	if got := u.text("#audit"); !strings.Contains(got, "Atelier 04") || strings.Contains(got, "Atelier 05") {
		t.Errorf("second page: %q", got)
	}
	today := time.Now().Format("2006-01-02")
	u.open("/admin/audit?from=2000-01-01&to=2000-01-02", "main")
	if !browser.Eval[bool](u.b, `!!document.querySelector('main .empty')`) {
		t.Error("a date range without entries still lists some")
	}
	u.open("/admin/audit?kind=accounts&from="+today+"&to="+today, "#audit")
}
