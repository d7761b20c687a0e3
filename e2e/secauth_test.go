package e2e

import (
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

// The login and account-security findings of issue 22, each replayed
// against the real binary.

// formLogin logs in through the HTML form, as a browser does: the login
// page first (for its CSRF token), then the form. It returns the status
// and where it redirects.
func (b *cookieClient) formLogin(login, password string) (int, string) {
	b.t.Helper()
	b.do("GET", "/login", nil, map[string]string{"Accept": "text/html"})
	form := url.Values{"login": {login}, "password": {password}, "next": {"/browse/"}, "_csrf": {b.cookie("notreasso_csrf")}}
	st, _, h := b.do("POST", "/login", strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"})
	return st, h.Get("Location")
}

// postForm sends an urlencoded form with the browser's CSRF token.
func (b *cookieClient) postForm(path string, form url.Values) (int, string) {
	b.t.Helper()
	form.Set("_csrf", b.cookie("notreasso_csrf"))
	st, _, h := b.do("POST", path, strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"})
	return st, h.Get("Location")
}

// who is the login the browser's session acts for ("" if anonymous).
func (b *cookieClient) who() string {
	b.t.Helper()
	var me struct {
		Authenticated bool   `json:"authenticated"`
		Login         string `json:"login"`
	}
	_, body, _ := b.do("GET", "/api/v1/me", nil, nil)
	fmtUnmarshal([]byte(body), &me)
	return me.Login
}

// mustFormLogin fails unless the form login opens a session for login.
func mustFormLogin(t *testing.T, srv *server.Server, login, password, when string) *cookieClient {
	t.Helper()
	b := newBrowser(t, srv)
	st, loc := b.formLogin(login, password)
	if st != 303 || loc != "/browse/" {
		t.Fatalf("%s: form login answered %d → %q", when, st, loc)
	}
	if got := b.who(); got != login {
		t.Fatalf("%s: form login answered 303 but the session is %q, want %q", when, got, login)
	}
	return b
}

// The web login works after each way a password or the sessions change:
// `notreasso user passwd`, a change in My account, `notreasso user
// logout-everywhere` (it used to answer 303 with an anonymous session).
func TestWebLoginAfterPasswordChange(t *testing.T) {
	wd := newWorld(t, server.Options{})
	ctx := context.Background()
	mustFormLogin(t, wd.srv, "marie", userPassword, "fresh account")

	if out, err := wd.srv.Run(ctx, strings.NewReader("deuxieme-mot-de-passe\n"), "user", "passwd", "marie", "--password-stdin"); err != nil {
		t.Fatalf("user passwd: %v\n%s", err, out)
	}
	b := mustFormLogin(t, wd.srv, "marie", "deuxieme-mot-de-passe", "after user passwd")

	st, loc := b.postForm("/do/password", url.Values{"back": {"/account"}, "current": {"deuxieme-mot-de-passe"},
		"new": {"troisieme-mot-de-passe"}, "again": {"troisieme-mot-de-passe"}})
	if st != 303 || !strings.Contains(loc, "ok=password_changed") {
		t.Fatalf("change in My account: %d → %q", st, loc)
	}
	if got := b.who(); got != "marie" {
		t.Errorf("the browser that changed the password was logged out (%q)", got)
	}
	mustFormLogin(t, wd.srv, "marie", "troisieme-mot-de-passe", "after a change in My account")

	if out, err := wd.srv.Run(ctx, nil, "user", "logout-everywhere", "marie"); err != nil {
		t.Fatalf("user logout-everywhere: %v\n%s", err, out)
	}
	if got := b.who(); got != "" {
		t.Errorf("session survived logout-everywhere: %q", got)
	}
	mustFormLogin(t, wd.srv, "marie", "troisieme-mot-de-passe", "after user logout-everywhere")
	// The API login door, after all of it.
	if st := newBrowser(t, wd.srv).login("marie", "troisieme-mot-de-passe"); st != 200 {
		t.Errorf("API login: %d", st)
	}
}

// app_passwords_only restricts devices, not the browser: the account
// password still opens the web interface.
func TestAppPasswordsOnlyAccountLogsInOnTheWeb(t *testing.T) {
	wd := newWorld(t, server.Options{})
	wd.mustCall(200, "PATCH", "/api/v1/admin/users/marie", map[string]any{"app_passwords_only": true})
	if st := wd.users["marie"].call("GET", "/api/v1/list/", nil, nil); st != 401 {
		t.Errorf("account password over Basic: %d, want 401", st)
	}
	mustFormLogin(t, wd.srv, "marie", userPassword, "app_passwords_only")
}

// A leaked app password stays a device password: no browser session from
// either login door, no password change (as the « current password » or
// as the caller), no e-mail change, no new app passwords, no revoking.
func TestAppPasswordCannotTakeOverTheAccount(t *testing.T) {
	wd := newWorld(t, server.Options{})
	b := mustFormLogin(t, wd.srv, "marie", userPassword, "owner")
	st, body, _ := b.do("POST", "/api/v1/me/app-passwords", strings.NewReader(`{"name":"Téléphone"}`),
		map[string]string{"Content-Type": "application/json", "X-CSRF-Token": b.cookie("notreasso_csrf")})
	var ap struct {
		ID       int64  `json:"id"`
		Password string `json:"password"`
	}
	fmtUnmarshal([]byte(body), &ap)
	if st != 201 || ap.Password == "" {
		t.Fatalf("create app password: %d %s", st, body)
	}
	thief := newBrowser(t, wd.srv)
	if st, _ := thief.formLogin("marie", ap.Password); st == 303 || thief.who() != "" {
		t.Errorf("login form accepted an app password: %d, session %q", st, thief.who())
	}
	thief = newBrowser(t, wd.srv)
	if st := thief.login("marie", ap.Password); st != 401 || thief.who() != "" {
		t.Errorf("API login accepted an app password: %d, session %q", st, thief.who())
	}
	// In the owner's own session, an app password is not the current password.
	st, loc := b.postForm("/do/password", url.Values{"back": {"/account"}, "current": {ap.Password},
		"new": {"vole-le-compte-1"}, "again": {"vole-le-compte-1"}})
	if !strings.Contains(loc, "err=bad_password") {
		t.Errorf("/do/password with an app password as current: %d → %q", st, loc)
	}
	device := newClient(t, wd.srv, "marie", ap.Password)
	hdr := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
	resp := device.do("POST", "/do/password", strings.NewReader(url.Values{"current": {ap.Password}, "new": {"vole-le-compte-2"},
		"again": {"vole-le-compte-2"}}.Encode()), hdr)
	resp.Body.Close()
	if resp.StatusCode < 400 {
		t.Errorf("/do/password over Basic with the app password: %d", resp.StatusCode)
	}
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v1/me/password", map[string]any{"current": ap.Password, "new": "vole-le-compte-3"}},
		{"PATCH", "/api/v1/me", map[string]any{"email": "voleur@example.org"}},
		{"POST", "/api/v1/me/app-passwords", map[string]any{"name": "le mien"}},
		{"DELETE", fmt.Sprintf("/api/v1/me/app-passwords/%d", ap.ID), nil},
		{"POST", "/api/v1/me/logout-everywhere", nil},
	} {
		if st := device.call(r.method, r.path, r.body, nil); st != 403 {
			t.Errorf("%s %s with an app password: %d, want 403", r.method, r.path, st)
		}
	}
	// Nothing changed: the password, the e-mail, the app password.
	mustFormLogin(t, wd.srv, "marie", userPassword, "after the attempts")
	var me struct{ Email string }
	wd.users["marie"].call("GET", "/api/v1/me", nil, &me)
	if me.Email != "" {
		t.Errorf("e-mail changed to %q", me.Email)
	}
	if st := device.call("GET", "/api/v1/list/", nil, nil); st != 200 {
		t.Errorf("the app password itself stopped working: %d", st)
	}
}

// newBrowserAdmin is a browser logged in as the administrator.
func newBrowserAdmin(t *testing.T, srv *server.Server) *cookieClient {
	t.Helper()
	return mustFormLogin(t, srv, "admin", server.AdminPassword, "admin")
}

// An administrator's app password cannot set anyone's password or e-mail
// (its own included), create an account, change a role or re-enable an
// account: that would turn a device password into an account.
func TestAdminAppPasswordCannotResetPasswords(t *testing.T) {
	wd := newWorld(t, server.Options{})
	adm := newBrowserAdmin(t, wd.srv)
	st, body, _ := adm.do("POST", "/api/v1/me/app-passwords", strings.NewReader(`{"name":"script"}`),
		map[string]string{"Content-Type": "application/json", "X-CSRF-Token": adm.cookie("notreasso_csrf")})
	var ap struct{ Password string }
	fmtUnmarshal([]byte(body), &ap)
	if st != 201 {
		t.Fatalf("create: %d %s", st, body)
	}
	device := newClient(t, wd.srv, "admin", ap.Password)
	for _, login := range []string{"admin", "marie"} {
		if st := device.call("PATCH", "/api/v1/admin/users/"+login, map[string]any{"password": "pris-par-le-voleur"}, nil); st != 403 {
			t.Errorf("password of %s set with an admin app password: %d", login, st)
		}
		if st := device.call("PATCH", "/api/v1/admin/users/"+login, map[string]any{"email": "voleur@example.org"}, nil); st != 403 {
			t.Errorf("e-mail of %s set with an admin app password: %d", login, st)
		}
	}
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v1/admin/users", map[string]any{"login": "complice", "password": "choisi-par-le-voleur", "role": "admin"}},
		{"POST", "/api/v1/admin/users", map[string]any{"login": "complice2"}},
		{"PATCH", "/api/v1/admin/users/marie", map[string]any{"role": "admin"}},
		{"PATCH", "/api/v1/admin/users/marie", map[string]any{"disabled": false}},
	} {
		if st := device.call(r.method, r.path, r.body, nil); st != 403 {
			t.Errorf("%s %s %v with an admin app password: %d, want 403", r.method, r.path, r.body, st)
		}
	}
	var list struct {
		Users []struct{ Login, Role string }
	}
	wd.admin.call("GET", "/api/v1/admin/users", nil, &list)
	if len(list.Users) == 0 {
		t.Fatal("no accounts listed")
	}
	for _, u := range list.Users {
		if strings.HasPrefix(u.Login, "complice") || (u.Login == "marie" && u.Role != "member") {
			t.Errorf("account changed by an app password: %+v", u)
		}
	}
	if st := device.call("PATCH", "/api/v1/admin/users/marie", map[string]any{"display_name": "Marie C."}, nil); st != 200 {
		t.Errorf("other admin changes with an app password: %d", st)
	}
	// The account password over Basic (scripts) still may.
	if st := wd.admin.call("PATCH", "/api/v1/admin/users/marie", map[string]any{"password": "nouveau-mot-de-passe"}, nil); st != 200 {
		t.Errorf("password set with the admin's account password: %d", st)
	}
}

// sessionRows counts the rows of the sessions table.
func sessionRows(t *testing.T, data string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "meta.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sessions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Anonymous visitors leave nothing behind: 100 cookie-less visits of the
// login page and /api/v1/me used to store 100 session rows for 30 days.
// A login still stores exactly one, under a hash of its id.
func TestAnonymousVisitsStoreNoSession(t *testing.T) {
	wd := newWorld(t, server.Options{})
	before := sessionRows(t, wd.srv.Data)
	for i := range 100 {
		path := "/login"
		if i%2 == 1 {
			path = "/api/v1/me"
		}
		resp, err := http.Get(wd.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
	}
	if got := sessionRows(t, wd.srv.Data); got != before {
		t.Errorf("%d session rows after 100 anonymous visits, %d before", got, before)
	}
	b := mustFormLogin(t, wd.srv, "marie", userPassword, "after anonymous visits")
	if got := sessionRows(t, wd.srv.Data); got != before+1 {
		t.Errorf("%d session rows after one login, want %d", got, before+1)
	}
	db, _ := sql.Open("sqlite", "file:"+filepath.Join(wd.srv.Data, "meta.db")+"?mode=ro")
	defer db.Close()
	var n int
	db.QueryRow(`SELECT count(*) FROM sessions WHERE id = ?`, b.cookie("notreasso_session")).Scan(&n)
	if n != 0 || b.cookie("notreasso_session") == "" {
		t.Errorf("the session cookie is stored as is in the database")
	}
	// A visitor who unlocks a share link's password gets a session (it
	// remembers the link), kept a day, not the 30 days of a login.
	wd.mustCall(201, "POST", "/api/v1/folders/AG", nil)
	token, _ := wd.share(map[string]any{"path": "/AG", "password": "assemblee"})
	visitor := newBrowser(t, wd.srv)
	visitor.do("GET", "/s/"+token+"/", nil, nil)
	if st, _, _ := visitor.do("POST", "/s/"+token+"/unlock", strings.NewReader("password=assemblee&_csrf="+visitor.cookie("notreasso_csrf")),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); st != 303 {
		t.Fatalf("unlock: %d", st)
	}
	var visitorExp int64
	db.QueryRow(`SELECT min(expires_at) FROM sessions`).Scan(&visitorExp)
	if left := time.Until(time.Unix(0, visitorExp)); sessionRows(t, wd.srv.Data) != before+2 || left > 25*time.Hour || left < 23*time.Hour {
		t.Errorf("the visitor's session lasts %v (%d rows)", left, sessionRows(t, wd.srv.Data))
	}
}

// Disabling an account or changing its password takes effect at once
// over Basic, whichever process made the change (the CLI here, as another
// node would): the credential cache used to keep them working for 30 s.
func TestBasicCredentialChangesImmediate(t *testing.T) {
	wd := newWorld(t, server.Options{})
	ctx := context.Background()
	marie := wd.users["marie"]
	b := mustFormLogin(t, wd.srv, "marie", userPassword, "owner")
	_, body, _ := b.do("POST", "/api/v1/me/app-passwords", strings.NewReader(`{"name":"Ordinateur"}`),
		map[string]string{"Content-Type": "application/json", "X-CSRF-Token": b.cookie("notreasso_csrf")})
	var ap struct{ Password string }
	fmtUnmarshal([]byte(body), &ap)
	device := newClient(t, wd.srv, "marie", ap.Password)
	for _, c := range []*client{marie, device} {
		if st := c.call("GET", "/api/v1/list/", nil, nil); st != 200 { // now cached
			t.Fatalf("before: %d", st)
		}
	}
	if out, err := wd.srv.Run(ctx, nil, "user", "disable", "marie"); err != nil {
		t.Fatalf("user disable: %v\n%s", err, out)
	}
	for name, c := range map[string]*client{"account password": marie, "app password": device} {
		if st := c.call("GET", "/api/v1/list/", nil, nil); st != 401 {
			t.Errorf("disabled account, %s: %d, want 401 at once", name, st)
		}
		resp := c.do("PROPFIND", "/dav/", nil, map[string]string{"Depth": "0"})
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("disabled account, %s, WebDAV: %d, want 401 at once", name, resp.StatusCode)
		}
	}
	if out, err := wd.srv.Run(ctx, nil, "user", "disable", "--enable", "marie"); err != nil {
		t.Fatalf("user enable: %v\n%s", err, out)
	}
	if st := marie.call("GET", "/api/v1/list/", nil, nil); st != 200 {
		t.Fatalf("re-enabled: %d", st)
	}
	if out, err := wd.srv.Run(ctx, strings.NewReader("un-autre-mot-de-passe\n"), "user", "passwd", "marie", "--password-stdin"); err != nil {
		t.Fatalf("user passwd: %v\n%s", err, out)
	}
	if st := marie.call("GET", "/api/v1/list/", nil, nil); st != 401 {
		t.Errorf("old password after a change: %d, want 401 at once", st)
	}
	resp := marie.do("PROPFIND", "/dav/", nil, map[string]string{"Depth": "0"})
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("old password after a change, WebDAV: %d, want 401 at once", resp.StatusCode)
	}
	if st := newClient(t, wd.srv, "marie", "un-autre-mot-de-passe").call("GET", "/api/v1/list/", nil, nil); st != 200 {
		t.Errorf("new password: %d", st)
	}
	// App passwords survive a password change (documented).
	if st := device.call("GET", "/api/v1/list/", nil, nil); st != 200 {
		t.Errorf("app password after a password change: %d", st)
	}
}

// « Revoke my devices » in the change-password form of My account.
func TestChangePasswordRevokesDevices(t *testing.T) {
	wd := newWorld(t, server.Options{})
	b := mustFormLogin(t, wd.srv, "marie", userPassword, "owner")
	st, page, _ := b.do("GET", "/account", nil, map[string]string{"Accept": "text/html"})
	if st != 200 || !strings.Contains(page, `name="revoke_devices"`) {
		t.Fatalf("My account has no « revoke my devices » box: %d", st)
	}
	_, body, _ := b.do("POST", "/api/v1/me/app-passwords", strings.NewReader(`{"name":"Téléphone"}`),
		map[string]string{"Content-Type": "application/json", "X-CSRF-Token": b.cookie("notreasso_csrf")})
	var ap struct{ Password string }
	fmtUnmarshal([]byte(body), &ap)
	device := newClient(t, wd.srv, "marie", ap.Password)
	if st := device.call("GET", "/api/v1/list/", nil, nil); st != 200 {
		t.Fatalf("device: %d", st)
	}
	st, loc := b.postForm("/do/password", url.Values{"back": {"/account"}, "current": {userPassword},
		"new": {"nouveau-mot-de-passe"}, "again": {"nouveau-mot-de-passe"}, "revoke_devices": {"1"}})
	if st != 303 || !strings.Contains(loc, "ok=password_changed_devices") {
		t.Fatalf("change with revoke: %d → %q", st, loc)
	}
	if st := device.call("GET", "/api/v1/list/", nil, nil); st != 401 {
		t.Errorf("device after « revoke my devices »: %d, want 401", st)
	}
	for lang, want := range map[string]string{"fr": "appareils sont déconnectés", "en": "devices are disconnected"} {
		_, page, _ := b.do("GET", loc, nil, map[string]string{"Accept": "text/html", "Accept-Language": lang,
			"Cookie": "notreasso_lang=" + lang})
		if !strings.Contains(page, want) {
			t.Errorf("%s: the page after the change does not say %q", lang, want)
		}
	}
}

// Twelve addresses failing on an account do not lock its owner out of a
// new address (they used to: 429 everywhere).
func TestDistributedGuessingDoesNotLockOut(t *testing.T) {
	wd := newWorld(t, server.Options{})
	for i := range 12 {
		bot := newClient(t, wd.srv, "marie", fmt.Sprintf("devine-%d", i))
		bot.hc = fromIP(fmt.Sprintf("127.0.1.%d", i+1))
		if st := bot.call("GET", "/api/v1/me", nil, nil); st != 401 {
			t.Fatalf("bot %d: %d", i, st)
		}
	}
	home := newClient(t, wd.srv, "marie", userPassword)
	home.hc = fromIP("127.0.2.1")
	if st := home.call("GET", "/api/v1/me", nil, nil); st != 200 {
		t.Errorf("the owner, Basic from a new address: %d", st)
	}
	b := newBrowser(t, wd.srv)
	b.hc.Transport = fromIP("127.0.2.2").Transport
	if st, _ := b.formLogin("marie", userPassword); st != 303 || b.who() != "marie" {
		t.Errorf("the owner, web login from a new address: %d", st)
	}
}

// A flood of password checks stays within memory: 32 concurrent right
// passwords with a cold cache, then 64 connections (half API, half
// WebDAV) sending wrong passwords from one address for 4 s (the server
// reached 700 MB and 1.2 GB). Every answer is a refusal (401), a throttle (429) or busy
// (503), the last two with Retry-After.
func TestPasswordFloodMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("floods the server for seconds")
	}
	wd := newWorld(t, server.Options{})
	base := wd.srv.PeakRSS()
	var wg sync.WaitGroup
	var ok atomic.Int32
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newClient(t, wd.srv, "marie", userPassword)
			c.hc = fromIP("127.0.3.1")
			resp := c.do("GET", "/api/v1/me", nil, nil)
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	if ok.Load() == 0 {
		t.Error("no right password got in")
	}
	afterRight := wd.srv.PeakRSS()
	counts := map[int]int{}
	var mu sync.Mutex
	stop := time.Now().Add(4 * time.Second)
	hc := fromIP("127.0.3.2")
	for w := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(stop); i++ {
				req, _ := http.NewRequest("GET", wd.srv.URL+"/api/v1/me", nil)
				if w%2 == 1 { // half of them on WebDAV
					req, _ = http.NewRequest("PROPFIND", wd.srv.URL+"/dav/", nil)
					req.Header.Set("Depth", "0")
				}
				req.SetBasicAuth("marie", fmt.Sprintf("devine-%d-%d", w, i))
				resp, err := hc.Do(req)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				counts[resp.StatusCode]++
				mu.Unlock()
				if (resp.StatusCode == 429 || resp.StatusCode == 503) && resp.Header.Get("Retry-After") == "" {
					t.Errorf("%d without Retry-After", resp.StatusCode)
				}
			}
		}()
	}
	wg.Wait()
	for st := range counts {
		if st != 401 && st != 429 && st != 503 {
			t.Errorf("status %d in the flood", st)
		}
	}
	peak := wd.srv.PeakRSS()
	t.Logf("RSS high-water mark %d MiB (%d MiB before the floods, %d MiB after the right passwords); answers %v", peak>>20, base>>20, afterRight>>20, counts)
	if peak > 150<<20 {
		t.Errorf("RSS reached %d MiB, want under 150", peak>>20)
	}
}

// Backups hold no browser session: the snapshot's sessions table is
// empty, so restoring it logs nobody in (one restored session used to be
// a working admin session).
func TestBackupHoldsNoSessions(t *testing.T) {
	wd := newWorld(t, server.Options{})
	mustFormLogin(t, wd.srv, "admin", server.AdminPassword, "admin")
	if sessionRows(t, wd.srv.Data) == 0 {
		t.Fatal("no session to leave out")
	}
	target := filepath.Join(t.TempDir(), "sauvegarde")
	if out, err := wd.srv.Run(context.Background(), nil, "backup", target); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	var snaps []string
	filepath.Walk(target, func(p string, _ os.FileInfo, _ error) error {
		if strings.HasSuffix(p, ".db.gz") {
			snaps = append(snaps, p)
		}
		return nil
	})
	if len(snaps) != 1 {
		t.Fatalf("snapshots: %v", snaps)
	}
	f, err := os.Open(snaps[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out, _ := os.Create(filepath.Join(dir, "meta.db"))
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	out.Close()
	if n := sessionRows(t, dir); n != 0 {
		t.Errorf("the backup holds %d sessions", n)
	}
}
