package e2e

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"notreasso/internal/testutil/server"
)

// form posts a form with the session's CSRF token.
func (b *cookieClient) form(path string, v url.Values) (int, string) {
	b.t.Helper()
	v.Set("_csrf", b.cookie("notreasso_csrf"))
	st, _, h := b.do("POST", path, strings.NewReader(v.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	return st, h.Get("Location")
}

// The administration pages and forms are for administrators only; a
// manager deletes for good only where they manage; reset links are for
// their one account.
func TestAdminPagesDoors(t *testing.T) {
	wd := newWorld(t, server.Options{})
	marie := newBrowser(t, wd.srv)
	if st := marie.login("marie", userPassword); st != 200 {
		t.Fatalf("login: %d", st)
	}
	accept := map[string]string{"Accept": "text/html"}
	for _, p := range []string{"/admin", "/admin/groups", "/admin/groups/partenaires", "/admin/users/lea", "/admin/audit"} {
		if st, body, _ := marie.do("GET", p, nil, accept); st != 403 || strings.Contains(body, "lea") && !strings.Contains(p, "lea") {
			t.Errorf("a member opens %s: %d", p, st)
		}
	}
	for _, f := range []struct {
		path string
		v    url.Values
	}{
		{"/do/admin/groups", url.Values{"name": {"pirates"}}},
		{"/do/admin/groups/members", url.Values{"group": {"partenaires"}, "login": {"marie"}}},
		{"/do/admin/groups/delete", url.Values{"group": {"partenaires"}}},
		{"/do/admin/users/lea/reset", nil},
		{"/do/admin/users/lea", url.Values{"role": {"admin"}, "display_name": {"x"}}},
		{"/do/users", url.Values{"login": {"pirate"}, "role": {"admin"}}},
		{"/do/admin/users/lea/devices", url.Values{"logout": {"1"}}},
		{"/do/admin/groups/grants", url.Values{"group": {"partenaires"}, "path": {"/"}, "role": {"manager"}}},
	} {
		if f.v == nil {
			f.v = url.Values{}
		}
		if st, _ := marie.form(f.path, f.v); st != 403 {
			t.Errorf("a member posts %s: %d", f.path, st)
		}
	}
	var g struct{ Members []string }
	wd.admin.call("GET", "/api/v1/admin/groups/partenaires", nil, &g)
	if strings.Join(g.Members, ",") != "lea" {
		t.Errorf("group changed by a member: %v", g.Members)
	}
	if st := wd.admin.call("GET", "/api/v1/admin/groups/pirates", nil, nil); st != 404 {
		t.Errorf("a member created a group: %d", st)
	}

	// Marie edits /Projets but manages only /Projets/Atelier: she deletes
	// for good only what was in the folder she manages.
	wd.mustCall(201, "POST", "/api/v1/folders/Projets", nil)
	wd.mustCall(201, "POST", "/api/v1/folders/Projets/Atelier", nil)
	wd.mustCall(200, "POST", "/api/v1/grants/Projets", map[string]any{"principal": "user:marie", "role": "editor"})
	wd.mustCall(200, "POST", "/api/v1/grants/Projets/Atelier", map[string]any{"principal": "user:marie", "role": "manager"})
	wd.put("/Projets/a.txt", "a")
	wd.put("/Projets/Atelier/b.txt", "b")
	a, b := wd.trashed("/Projets/a.txt"), wd.trashed("/Projets/Atelier/b.txt")
	if st, loc := marie.form("/do/trash/purge", url.Values{"id": {strconv.FormatInt(a, 10)}}); st != 303 || !strings.Contains(loc, "err=forbidden") {
		t.Errorf("an editor deletes for good: %d %s", st, loc)
	}
	if st, loc := marie.form("/do/trash/empty", url.Values{}); st != 303 || !strings.Contains(loc, "ok=trash_emptied") {
		t.Fatalf("a manager empties her trash: %d %s", st, loc)
	}
	var trash struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	wd.admin.call("GET", "/api/v1/trash", nil, &trash)
	left := map[int64]bool{}
	for _, it := range trash.Items {
		left[it.ID] = true
	}
	if !left[a] || left[b] {
		t.Errorf("after a manager emptied the trash: %v (a=%d kept, b=%d gone wanted)", left, a, b)
	}

	// Retention: readable by readers, set by managers only.
	if st, body, _ := marie.do("GET", "/retention/Projets", nil, accept); st != 200 || strings.Contains(body, `id="rule-form"`) {
		t.Errorf("an editor's retention page: %d, form shown %v", st, strings.Contains(body, `id="rule-form"`))
	}
	if st, loc := marie.form("/do/retention", url.Values{"path": {"/Projets"}, "mode": {"all"}}); st != 303 || !strings.Contains(loc, "err=forbidden") {
		t.Errorf("an editor sets a rule: %d %s", st, loc)
	}
	if st, loc := marie.form("/do/retention", url.Values{"path": {"/Projets/Atelier"}, "mode": {"last"}, "max_versions": {"3"}}); st != 303 || !strings.Contains(loc, "ok=retention_saved") {
		t.Errorf("a manager sets a rule: %d %s", st, loc)
	}
	paul := newBrowser(t, wd.srv)
	paul.login("paul", userPassword)
	if st, body, _ := paul.do("GET", "/retention/Projets", nil, accept); st != 404 || strings.Contains(body, "Atelier") {
		t.Errorf("a guest without grants opens the retention page: %d", st)
	}

	// Her own profile.
	if st, loc := marie.form("/do/profile", url.Values{"display_name": {"Marie Curie"}, "email": {"marie@example.org"}}); st != 303 || loc != "/account?ok=profile_saved" {
		t.Errorf("profile: %d %s", st, loc)
	}
	if st, loc := marie.form("/do/profile", url.Values{"display_name": {"Marie"}, "email": {"pas une adresse"}}); st != 303 || loc != "/account?err=bad_email" {
		t.Errorf("bad e-mail: %d %s", st, loc)
	}
	var me struct {
		DisplayName string `json:"display_name"`
		Email       string `json:"email"`
	}
	if wd.users["marie"].call("GET", "/api/v1/me", nil, &me); me.DisplayName != "Marie Curie" || me.Email != "marie@example.org" {
		t.Errorf("profile after saving: %+v", me)
	}

	// A reset link resets its own account only, and only once.
	admin := newBrowser(t, wd.srv)
	admin.login("admin", server.AdminPassword)
	// The last administrator stays one, and a bad address is said so.
	if st, loc := admin.form("/do/admin/users/admin", url.Values{"role": {"member"}, "display_name": {""}, "email": {""}}); st != 303 || !strings.Contains(loc, "err=last_admin") {
		t.Errorf("demoting the last admin: %d %s", st, loc)
	}
	if st, loc := admin.form("/do/admin/users/lea", url.Values{"role": {"guest"}, "display_name": {"Léa"}, "email": {"léa chez asso"}}); st != 303 || !strings.Contains(loc, "err=bad_email") {
		t.Errorf("a bad address: %d %s", st, loc)
	}

	// Lea's devices: app passwords only, then every browser session closed.
	lea := newBrowser(t, wd.srv)
	lea.login("lea", userPassword)
	if st, loc := admin.form("/do/admin/users/lea/devices", url.Values{"app_passwords_only": {"1"}}); st != 303 || !strings.Contains(loc, "ok=user_saved") {
		t.Fatalf("app passwords only: %d %s", st, loc)
	}
	if st := newClient(t, wd.srv, "lea", userPassword).call("GET", "/api/v1/me", nil, nil); st != 401 {
		t.Errorf("lea's account password over Basic after app passwords only: %d", st)
	}
	if st, _, _ := lea.do("GET", "/api/v1/me/app-passwords", nil, nil); st != 200 {
		t.Fatalf("lea's session before closing: %d", st)
	}
	if st, loc := admin.form("/do/admin/users/lea/devices", url.Values{"logout": {"1"}}); st != 303 || !strings.Contains(loc, "ok=logged_out") {
		t.Fatalf("close sessions: %d %s", st, loc)
	}
	if st, _, _ := lea.do("GET", "/api/v1/me/app-passwords", nil, nil); st != 401 {
		t.Errorf("lea's session after closing all: %d", st)
	}

	// An account made without a password comes with a link, shown once.
	if st, loc := admin.form("/do/users", url.Values{"login": {"nouvelle"}, "role": {"member"}, "display_name": {"Nouvelle Venue"}}); st != 303 || loc != "/admin/users/nouvelle?ok=user_invited#reset" {
		t.Fatalf("invite: %d %s", st, loc)
	}
	if _, page, _ := admin.do("GET", "/admin/users/nouvelle", nil, accept); !strings.Contains(page, wd.srv.URL+"/reset/") {
		t.Error("no link after creating an account without a password")
	}
	if _, page, _ := admin.do("GET", "/admin/users/nouvelle", nil, accept); strings.Contains(page, "/reset/") || !strings.Contains(page, `id="reset-pending"`) {
		t.Error("the invitation link is shown twice, or not said pending")
	}
	if st, loc := admin.form("/do/admin/users/lea/reset", url.Values{}); st != 303 || !strings.Contains(loc, "#reset") {
		t.Fatalf("reset link: %d %s", st, loc)
	}
	_, page, _ := admin.do("GET", "/admin/users/lea", nil, accept)
	i := strings.Index(page, "/reset/")
	if i < 0 {
		t.Fatal("no link on the page")
	}
	token := page[i+len("/reset/") : i+len("/reset/")+43]
	visitor := newBrowser(t, wd.srv)
	visitor.do("GET", "/reset/"+token, nil, accept)
	if st, loc := visitor.form("/reset/"+token, url.Values{"new": {"nouveau-secret"}, "again": {"autre-secret"}}); st != 303 || !strings.Contains(loc, "err=password_mismatch") {
		t.Errorf("mismatching passwords: %d %s", st, loc)
	}
	if st, loc := visitor.form("/reset/"+token, url.Values{"new": {"nouveau-secret"}, "again": {"nouveau-secret"}}); st != 303 || loc != "/login?ok=password_set" {
		t.Fatalf("reset: %d %s", st, loc)
	}
	// (Lea uses app passwords only over Basic: her new password is for the browser.)
	if st := newBrowser(t, wd.srv).login("lea", "nouveau-secret"); st != 200 {
		t.Errorf("lea's new password: %d", st)
	}
	if st, _ := visitor.form("/reset/"+token, url.Values{"new": {"encore-autre"}, "again": {"encore-autre"}}); st != 410 {
		t.Errorf("a link used twice: %d", st)
	}
	if strings.Contains(wd.srv.Output(), token) {
		t.Error("the reset token is in the server log")
	}
}
