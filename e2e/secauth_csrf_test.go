package e2e

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"notreasso/internal/testutil/browser"
	"notreasso/internal/testutil/server"
)

// Login CSRF: a cross-site page posting the attacker's credentials (as
// text/plain, to the login route with a trailing slash, or with another
// case) must not log the victim's browser in. And the token rotates at
// login: the one seen before no longer works after.
func TestLoginCSRF(t *testing.T) {
	wd := newWorld(t, server.Options{})
	body := `{"login":"marie","password":"` + userPassword + `"}`
	crossSite := map[string]string{"Content-Type": "text/plain", "Origin": "http://attaquant.example",
		"Referer": "http://attaquant.example/piege.html", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
	for _, path := range []string{"/api/v1/login", "/api/v1/login/", "/API/v1/Login/", "/api/v1//login", "/api/v1/login?x=1"} {
		victim := newBrowser(t, wd.srv)
		st, _, h := victim.do("POST", path, strings.NewReader(body), crossSite)
		if st == 200 || strings.Contains(strings.Join(h.Values("Set-Cookie"), ";"), "notreasso_session=") || victim.who() != "" {
			t.Errorf("cross-site POST %s logged the browser in: %d", path, st)
		}
		// The same without the browser's cross-site headers (an older browser).
		victim = newBrowser(t, wd.srv)
		st, _, _ = victim.do("POST", path, strings.NewReader(body), map[string]string{"Content-Type": "text/plain"})
		if st == 200 || victim.who() != "" {
			t.Errorf("POST %s without a CSRF token logged the browser in: %d", path, st)
		}
	}
	victim := newBrowser(t, wd.srv)
	form := url.Values{"login": {"marie"}, "password": {userPassword}}
	if st, _, _ := victim.do("POST", "/login/", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded",
		"Sec-Fetch-Site": "cross-site"}); st == 303 || victim.who() != "" {
		t.Errorf("cross-site form login: %d", st)
	}
	// Even with a token taken from the site, a cross-site request is refused.
	victim.do("GET", "/login", nil, nil)
	form.Set("_csrf", victim.cookie("notreasso_csrf"))
	if st, _, _ := victim.do("POST", "/login", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded",
		"Sec-Fetch-Site": "cross-site"}); st == 303 || victim.who() != "" {
		t.Errorf("cross-site form login with a valid token: %d", st)
	}

	// Rotation: the anonymous token is worthless once logged in.
	b := newBrowser(t, wd.srv)
	b.do("GET", "/login", nil, nil)
	before := b.cookie("notreasso_csrf")
	if st := b.login("marie", userPassword); st != 200 {
		t.Fatalf("login: %d", st)
	}
	after := b.cookie("notreasso_csrf")
	if after == "" || after == before {
		t.Fatalf("CSRF token not rotated at login: %q → %q", before, after)
	}
	if st, _, _ := b.do("POST", "/api/v1/folders/Avant", nil, map[string]string{"X-CSRF-Token": before}); st != 403 {
		t.Errorf("pre-login token accepted after login: %d", st)
	}
	if st, _, _ := b.do("POST", "/api/v1/folders/Apres", nil, map[string]string{"X-CSRF-Token": after}); st != 201 {
		t.Errorf("post-login token: %d", st)
	}
	// A second login (new session) does not accept the first session's token.
	if st := b.login("marie", userPassword); st != 200 {
		t.Fatal(st)
	}
	if st, _, _ := b.do("POST", "/api/v1/folders/Ancien", nil, map[string]string{"X-CSRF-Token": after}); st != 403 {
		t.Errorf("the previous session's token still works: %d", st)
	}
}

// Login CSRF in a real browser: a page on another site (127.0.0.2) posts
// the attacker's credentials to the login routes, as text/plain JSON to
// "/api/v1/login/" and as a plain form to "/login". Chromium follows; the
// victim's browser must not end up logged in as the attacker.
func TestLoginCSRFInChromium(t *testing.T) {
	wd := newWorld(t, server.Options{})
	b := browser.Start(t, browser.Options{AcceptLanguage: "en"})
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	json := `{"login":"marie","password":"` + userPassword + `","x":"`
	pages := map[string]string{
		"/api": `<form id="f" method="post" enctype="text/plain" action="` + wd.srv.URL + `/api/v1/login/">` +
			`<input type="hidden" name='` + json + `' value='"}'></form>`,
		"/form": `<form id="f" method="post" action="` + wd.srv.URL + `/login">` +
			`<input type="hidden" name="login" value="marie"><input type="hidden" name="password" value="` + userPassword + `"></form>`,
	}
	attacker := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Jeu concours</title>%s<script>document.getElementById("f").submit()</script>`, pages[r.URL.Path])
	})}
	go attacker.Serve(ln)
	t.Cleanup(func() { attacker.Close() })
	for _, page := range []string{"/api", "/form"} {
		for _, name := range []string{"notreasso_session", "notreasso_csrf"} {
			if _, err := chromedp.Call(b.Ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: name, URL: wd.srv.URL}); err != nil {
				t.Fatal(err)
			}
		}
		b.Do("open the attacker's page "+page, chromedp.Navigate("http://"+ln.Addr().String()+page))
		b.WaitFor("the cross-site post "+page, `location.href.startsWith("`+wd.srv.URL+`") && document.readyState === "complete"`)
		b.Do("ask who is logged in", chromedp.Navigate(wd.srv.URL+"/api/v1/me"))
		if me := browser.Eval[string](b, "document.body.innerText"); !strings.Contains(me, `"authenticated":false`) {
			t.Errorf("after the cross-site post %s the browser is logged in: %s", page, me)
		}
	}
}
