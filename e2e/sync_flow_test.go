package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"notreasso/internal/testutil/browser"
	"notreasso/internal/testutil/server"
)

// desktopUA is what nextcloud-desktop 3.7 sends when it starts a login.
const desktopUA = "Mozilla/5.0 (Linux) mirall/3.7.3 (Nextcloud, debian-6.1.0-13-amd64 ClientArchitecture: x86_64 OsArchitecture: x86_64)"

type loginFlow struct {
	Poll struct {
		Token    string `json:"token"`
		Endpoint string `json:"endpoint"`
	} `json:"poll"`
	Login string `json:"login"`
}

// startFlow does what the app does first: POST /index.php/login/v2.
func startFlow(t *testing.T, srv *server.Server) loginFlow {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+"/index.php/login/v2", nil)
	req.Header.Set("User-Agent", desktopUA)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var f loginFlow
	if err := json.NewDecoder(resp.Body).Decode(&f); err != nil || resp.StatusCode != 200 || f.Poll.Token == "" {
		t.Fatalf("start login flow: %d %v %+v", resp.StatusCode, err, f)
	}
	return f
}

type flowResult struct {
	Server      string `json:"server"`
	LoginName   string `json:"loginName"`
	AppPassword string `json:"appPassword"`
}

// poll does what the app does every few seconds.
func (f loginFlow) poll(t *testing.T) (int, flowResult) {
	t.Helper()
	resp, err := http.PostForm(f.Poll.Endpoint, url.Values{"token": {f.Poll.Token}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r flowResult
	json.Unmarshal(b, &r)
	return resp.StatusCode, r
}

// Login Flow v2 in a real browser: the app's poll yields an app password
// only once the person has confirmed; the password syncs with
// nextcloudcmd, is listed by device, and once revoked is refused.
func TestSyncLoginFlow(t *testing.T) {
	srv := server.Start(t, server.Options{})
	adm := admin(t, srv)
	if st := adm.call("POST", "/api/v1/admin/users", map[string]any{"login": "marie", "password": userPassword, "role": "member"}, nil); st != 201 {
		t.Fatalf("create marie: %d", st)
	}
	syncPut(t, adm, "/bienvenue.txt", "Bonjour Marie\n", time.Time{})
	u := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: srv.URL, shots: screenshotDir(t)}

	f := startFlow(t, srv)
	if !strings.HasPrefix(f.Login, srv.URL+"/index.php/login/v2/flow/") || f.Poll.Endpoint != srv.URL+"/index.php/login/v2/poll" {
		t.Fatalf("flow URLs: %+v", f)
	}
	if st, _ := f.poll(t); st != 404 {
		t.Fatalf("poll before anything: %d, want 404", st)
	}
	// The browser opens the login link: the login page first, then the question.
	u.b.Do("open the app's link", chromedp.Navigate(f.Login), chromedp.WaitVisible("#login"),
		chromedp.SendKeys("#login", "marie"), chromedp.SendKeys("#password", userPassword))
	u.b.Navigates("log in", chromedp.Submit("#password"))
	u.b.WaitFor("question", `!!document.querySelector('#flow-question')`)
	u.clean("login flow question")
	q := u.text("#flow-question")
	if !strings.Contains(q, "Autoriser l'application Nextcloud (ordinateur) sur l'appareil Linux") || !strings.Contains(q, "marie") {
		t.Errorf("question: %q", q)
	}
	u.screenshot("login-flow")
	if st, _ := f.poll(t); st != 404 {
		t.Fatalf("poll before the person confirmed: %d, want 404", st)
	}
	u.b.Navigates("allow", chromedp.Click("#flow-allow"))
	u.b.WaitFor("done", `!!document.querySelector('#flow-done')`)
	u.clean("login flow done")
	st, res := f.poll(t)
	if st != 200 || res.LoginName != "marie" || res.Server != srv.URL || len(res.AppPassword) < 20 {
		t.Fatalf("poll after confirming: %d %+v", st, res)
	}
	if st, _ := f.poll(t); st != 404 {
		t.Errorf("the password was handed out twice: %d", st)
	}

	// The app password syncs; the account lists it by app and device.
	nc := newSyncClient(t, srv, "nextcloudcmd", res.LoginName, res.AppPassword)
	nc.run()
	if got, err := nc.read("bienvenue.txt"); err != nil || got != "Bonjour Marie\n" {
		t.Fatalf("sync with the app password: %q %v", got, err)
	}
	marie := newClient(t, srv, "marie", userPassword)
	var aps struct {
		AppPasswords []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"app_passwords"`
	}
	if st := marie.call("GET", "/api/v1/me/app-passwords", nil, &aps); st != 200 || len(aps.AppPasswords) != 1 ||
		aps.AppPasswords[0].Name != "Nextcloud (ordinateur) — Linux" {
		t.Fatalf("app passwords: %d %+v", st, aps)
	}

	// Revoked: the next sync is refused.
	if st := marie.call("DELETE", fmt.Sprintf("/api/v1/me/app-passwords/%d", aps.AppPasswords[0].ID), nil, nil); st != 204 && st != 200 {
		t.Fatalf("revoke: %d", st)
	}
	mark := len(srv.Output())
	if out, err := nc.command(t.Context()).CombinedOutput(); err == nil {
		t.Errorf("nextcloudcmd synced with a revoked app password:\n%s", tail(string(out), 2000))
	}
	if !strings.Contains(srv.Output()[mark:], "status=401") {
		t.Errorf("no 401 after revoking")
	}

	// A second flow: a POST without the CSRF token changes nothing, and a
	// refusal gives the app nothing.
	f2 := startFlow(t, srv)
	u.b.Do("open the second link", chromedp.Navigate(f2.Login), chromedp.WaitVisible("#flow-question"))
	browser.Eval[int](u.b, `(window.__st = 0, fetch(location.href, {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'answer=allow'}).then(r => window.__st = r.status), 1)`)
	u.b.WaitFor("forged POST answered", `window.__st === 403`)
	if st, _ := f2.poll(t); st != 404 {
		t.Errorf("a POST without CSRF token confirmed the flow: %d", st)
	}
	u.b.Navigates("deny", chromedp.Click("#flow-deny"))
	u.b.WaitFor("denied", `!!document.querySelector('#flow-denied')`)
	if st, _ := f2.poll(t); st != 404 {
		t.Errorf("poll after a refusal: %d", st)
	}
}
