package e2e

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

// fromIP returns an HTTP client whose connections leave from ip (any
// 127.0.0.0/8 address works on Linux loopback).
func fromIP(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// 100 wrong passwords on one account from one IP: after a few, every
// attempt is answered 429 at once with Retry-After (no password is even
// checked), whatever X-Forwarded-For claims; meanwhile the real user logs
// in from another IP, on the API and on the web login alike.
func TestBruteForceThrottled(t *testing.T) {
	wd := newWorld(t, server.Options{})
	attacker := newClient(t, wd.srv, "marie", "")
	attacker.hc = fromIP("127.0.0.2")

	// Requests without credentials are not failures.
	anon := newClient(t, wd.srv, "", "")
	anon.hc = attacker.hc
	for range 20 {
		if st := anon.call("GET", "/api/v1/trash", nil, nil); st != 401 {
			t.Fatalf("anonymous: %d", st)
		}
	}
	ok := newClient(t, wd.srv, "marie", userPassword)
	ok.hc = attacker.hc
	if st := ok.call("GET", "/api/v1/me", nil, nil); st != 200 {
		t.Fatalf("right password after anonymous requests: %d", st)
	}

	start := time.Now()
	var refused, throttled int
	for i := range 100 {
		attacker.pass = fmt.Sprintf("devine-%d", i)
		resp := attacker.do("GET", "/api/v1/me", nil, map[string]string{"X-Forwarded-For": fmt.Sprintf("10.9.%d.%d", i/250, i%250)})
		resp.Body.Close()
		switch resp.StatusCode {
		case 401:
			refused++
		case 429:
			throttled++
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
				t.Fatalf("429 without a usable Retry-After: %q", resp.Header.Get("Retry-After"))
			}
		default:
			t.Fatalf("attempt %d: status %d", i, resp.StatusCode)
		}
	}
	took := time.Since(start)
	if refused > 10 || throttled < 90 {
		t.Errorf("%d refused, %d throttled: guessing is not slowed", refused, throttled)
	}
	if took > 20*time.Second {
		t.Errorf("100 attempts took %v: the server sleeps instead of answering 429", took)
	}
	// The right password from the attacker's address waits too…
	if st := ok.call("GET", "/api/v1/me", nil, nil); st != 429 {
		t.Errorf("right password from the throttled IP: %d, want 429", st)
	}
	b := newBrowser(t, wd.srv)
	b.hc.Transport = attacker.hc.Transport
	if st := b.login("marie", userPassword); st != 429 {
		t.Errorf("web login from the throttled IP: %d, want 429", st)
	}
	// …but marie at home gets in, through both doors.
	if st := wd.users["marie"].call("GET", "/api/v1/me", nil, nil); st != 200 {
		t.Errorf("Basic from another IP: %d", st)
	}
	if st := newBrowser(t, wd.srv).login("marie", userPassword); st != 200 {
		t.Errorf("web login from another IP: %d", st)
	}
	t.Logf("100 attempts in %v: %d refused, %d answered 429", took, refused, throttled)
}

// Cookie sessions: HttpOnly SameSite cookies, CSRF on every state change,
// and "log out everywhere".
func TestSessionsAndCSRF(t *testing.T) {
	wd := newWorld(t, server.Options{})
	b := newBrowser(t, wd.srv)
	_, _, h := b.do("GET", "/api/v1/me", nil, nil)
	token := b.cookie("notreasso_csrf")
	if token == "" {
		t.Fatalf("no CSRF cookie: %v", h)
	}
	// The login itself needs the token (no login CSRF).
	st, _, _ := b.do("POST", "/api/v1/login", strings.NewReader(`{"login":"marie","password":"`+userPassword+`"}`), map[string]string{"Content-Type": "application/json"})
	if st != 403 {
		t.Errorf("login without CSRF token: %d", st)
	}
	st, body, h := b.do("POST", "/api/v1/login", strings.NewReader(`{"login":"marie","password":"`+userPassword+`"}`),
		map[string]string{"Content-Type": "application/json", "X-CSRF-Token": token})
	if st != 200 || !strings.Contains(body, `"csrf_token"`) {
		t.Fatalf("login: %d %s", st, body)
	}
	var session string
	for _, c := range h.Values("Set-Cookie") {
		if strings.HasPrefix(c, "notreasso_session=") {
			session = c
		}
	}
	if !strings.Contains(session, "HttpOnly") || !strings.Contains(session, "SameSite=Lax") {
		t.Errorf("session cookie %q: want HttpOnly and SameSite=Lax", session)
	}
	if st, _, _ := b.do("POST", "/api/v1/folders/Sans-jeton", nil, nil); st != 403 {
		t.Errorf("cookie POST without CSRF token: %d, want 403", st)
	}
	if st, _, _ := b.do("POST", "/api/v1/folders/Sans-jeton", nil, map[string]string{"X-CSRF-Token": "forged"}); st != 403 {
		t.Errorf("cookie POST with a forged token: %d, want 403", st)
	}
	if st, _, _ := b.do("POST", "/api/v1/folders/Avec-jeton", nil, map[string]string{"X-CSRF-Token": b.cookie("notreasso_csrf")}); st != 201 {
		t.Errorf("cookie POST with the token: %d, want 201", st)
	}
	if wd.admin.call("GET", "/api/v1/stat/Sans-jeton", nil, nil) != 404 {
		t.Error("the request refused for CSRF changed something")
	}

	// Two browsers; log out everywhere from one ends both.
	other := newBrowser(t, wd.srv)
	if st := other.login("marie", userPassword); st != 200 {
		t.Fatal(st)
	}
	if st, _, _ := b.do("POST", "/api/v1/me/logout-everywhere", nil, map[string]string{"X-CSRF-Token": b.cookie("notreasso_csrf")}); st != 204 {
		t.Fatalf("log out everywhere: %d", st)
	}
	for i, br := range []*cookieClient{b, other} {
		if _, body, _ := br.do("GET", "/api/v1/me", nil, nil); !strings.Contains(body, `"authenticated":false`) {
			t.Errorf("browser %d still logged in: %s", i, body)
		}
	}
	if st := other.login("marie", userPassword); st != 200 {
		t.Errorf("logging in again: %d", st)
	}
	// An administrator can do it for someone else too.
	wd.mustCall(204, "POST", "/api/v1/admin/users/marie/logout-everywhere", nil)
	if _, body, _ := other.do("GET", "/api/v1/me", nil, nil); !strings.Contains(body, `"authenticated":false`) {
		t.Errorf("still logged in after the admin logged marie out: %s", body)
	}
}

// App passwords: created in a browser session, shown once, used over
// Basic, revocable; the account password over Basic can be switched off.
func TestAppPasswords(t *testing.T) {
	wd := newWorld(t, server.Options{})
	b := newBrowser(t, wd.srv)
	if st := b.login("marie", userPassword); st != 200 {
		t.Fatal(st)
	}
	st, body, _ := b.do("POST", "/api/v1/me/app-passwords", strings.NewReader(`{"name":"Ordinateur du local"}`),
		map[string]string{"Content-Type": "application/json", "X-CSRF-Token": b.cookie("notreasso_csrf")})
	var ap struct {
		ID       int64  `json:"id"`
		Password string `json:"password"`
	}
	fmtUnmarshal([]byte(body), &ap)
	if st != 201 || len(ap.Password) < 30 {
		t.Fatalf("create: %d %s", st, body)
	}
	device := newClient(t, wd.srv, "marie", ap.Password)
	if st := device.call("GET", "/api/v1/list/", nil, nil); st != 200 {
		t.Fatalf("app password over Basic: %d", st)
	}
	// A device cannot mint more app passwords with its own.
	if st := device.call("POST", "/api/v1/me/app-passwords", map[string]any{"name": "x"}, nil); st != 403 {
		t.Errorf("app password created over Basic: %d", st)
	}
	var list struct {
		AppPasswords []struct {
			Name     string  `json:"name"`
			LastUsed *string `json:"last_used"`
			Password string  `json:"password"`
		} `json:"app_passwords"`
	}
	wd.users["marie"].call("GET", "/api/v1/me/app-passwords", nil, &list)
	if len(list.AppPasswords) != 1 || list.AppPasswords[0].LastUsed == nil || list.AppPasswords[0].Password != "" {
		t.Errorf("list: %+v", list)
	}
	// Only app passwords over Basic for marie; the web login still works.
	wd.mustCall(200, "PATCH", "/api/v1/admin/users/marie", map[string]any{"app_passwords_only": true})
	if st := wd.users["marie"].call("GET", "/api/v1/list/", nil, nil); st != 401 {
		t.Errorf("account password over Basic: %d, want 401", st)
	}
	if st := device.call("GET", "/api/v1/list/", nil, nil); st != 200 {
		t.Errorf("app password: %d", st)
	}
	if st := newBrowser(t, wd.srv).login("marie", userPassword); st != 200 {
		t.Errorf("web login: %d", st)
	}
	// Revoked: refused at once.
	wd.mustCall(204, "DELETE", fmt.Sprintf("/api/v1/admin/users/marie/app-passwords/%d", ap.ID), nil)
	if st := device.call("GET", "/api/v1/list/", nil, nil); st != 401 {
		t.Errorf("revoked app password: %d", st)
	}
	var audit struct {
		Entries []struct{ Action, Actor string } `json:"entries"`
	}
	wd.admin.call("GET", "/api/v1/admin/audit?category=accounts", nil, &audit)
	var actions []string
	for _, e := range audit.Entries {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); !strings.HasPrefix(got, "app_password_revoke user_update app_password_add") {
		t.Errorf("audit: %s", got)
	}
	if st := wd.users["marie"].call("GET", "/api/v1/admin/audit", nil, nil); st != 403 && st != 401 {
		t.Errorf("a member reads the audit log: %d", st)
	}
}
