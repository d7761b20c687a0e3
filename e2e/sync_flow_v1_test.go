package e2e

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

// androidUA is what the Nextcloud Android app's web view sends.
const androidUA = "Mozilla/5.0 (Android) Nextcloud-android/3.25.0"

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// webView is a cookie-keeping HTTP client that stops at a redirect to the
// app (nc://), as the mobile apps' web views do.
type webView struct {
	t        *testing.T
	hc       *http.Client
	appURL   string // the nc:// address the server sent the view to
	lastPage string
}

func newWebView(t *testing.T) *webView {
	jar, _ := cookiejar.New(nil)
	v := &webView{t: t}
	v.hc = &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme == "nc" {
			v.appURL = req.URL.String()
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return v
}

func (v *webView) do(method, u string, form url.Values) (*http.Response, string) {
	v.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	req.Header.Set("User-Agent", androidUA)
	req.Header.Set("OCS-APIREQUEST", "true")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := v.hc.Do(req)
	if err != nil {
		v.t.Fatalf("%s %s: %v", method, u, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	v.lastPage = string(b)
	return resp, v.lastPage
}

func (v *webView) csrf() string {
	v.t.Helper()
	m := csrfField.FindStringSubmatch(v.lastPage)
	if m == nil {
		v.t.Fatalf("no CSRF field in the page:\n%s", tail(v.lastPage, 1500))
	}
	return m[1]
}

// Login Flow v1, as the Android and iOS apps do it in their web view: the
// login page, the same question as v2, and a redirect to nc://login/…
// carrying a new app password, which then works for WebDAV.
func TestSyncLoginFlowV1(t *testing.T) {
	srv := server.Start(t, server.Options{})
	adm := admin(t, srv)
	if st := adm.call("POST", "/api/v1/admin/users", map[string]any{"login": "marie", "password": userPassword, "role": "member"}, nil); st != 201 {
		t.Fatalf("create marie: %d", st)
	}
	v := newWebView(t)
	resp, _ := v.do("GET", srv.URL+"/index.php/login/flow", nil)
	if resp.StatusCode != 200 || !strings.Contains(resp.Request.URL.Path, "/login") {
		t.Fatalf("the flow did not lead to the login page: %d %s", resp.StatusCode, resp.Request.URL)
	}
	next := resp.Request.URL.Query().Get("next")
	resp, page := v.do("POST", srv.URL+"/login", url.Values{"_csrf": {v.csrf()}, "next": {next}, "login": {"marie"}, "password": {userPassword}})
	if resp.StatusCode != 200 || !strings.Contains(page, `id="flow-question"`) || !strings.Contains(page, "Nextcloud Android") {
		t.Fatalf("after logging in: %d %s\n%s", resp.StatusCode, resp.Request.URL, tail(page, 1500))
	}
	flowURL := resp.Request.URL.String()
	// Without the CSRF token nothing is handed out.
	if resp, _ := v.do("POST", flowURL, url.Values{"answer": {"allow"}}); resp.StatusCode != 403 || v.appURL != "" {
		t.Fatalf("a POST without CSRF token: %d, app sent to %q", resp.StatusCode, v.appURL)
	}
	v.do("GET", flowURL, nil)
	token := v.csrf()
	resp, _ = v.do("POST", flowURL, url.Values{"_csrf": {token}, "answer": {"allow"}})
	if resp.StatusCode != 303 || !strings.HasPrefix(v.appURL, "nc://login/server:"+srv.URL+"&user:marie&password:") {
		t.Fatalf("after allowing: %d, app sent to %q", resp.StatusCode, v.appURL)
	}
	secret := strings.TrimPrefix(v.appURL, "nc://login/server:"+srv.URL+"&user:marie&password:")
	if len(secret) < 20 {
		t.Fatalf("app password %q", secret)
	}
	// The password is the app's: WebDAV answers, and the account lists it.
	marie := newClient(t, srv, "marie", secret)
	pf := marie.do("PROPFIND", "/remote.php/dav/files/marie/", nil, map[string]string{"Depth": "0"})
	pf.Body.Close()
	if pf.StatusCode != 207 {
		t.Errorf("PROPFIND with the app password: %d", pf.StatusCode)
	}
	var aps struct {
		AppPasswords []struct {
			Name string `json:"name"`
		} `json:"app_passwords"`
	}
	if st := newClient(t, srv, "marie", userPassword).call("GET", "/api/v1/me/app-passwords", nil, &aps); st != 200 ||
		len(aps.AppPasswords) != 1 || aps.AppPasswords[0].Name != "Nextcloud Android — Android" {
		t.Errorf("app passwords: %d %+v", st, aps)
	}
	// The flow is used up: answering again hands nothing out.
	v.appURL = ""
	if resp, _ := v.do("POST", flowURL, url.Values{"_csrf": {token}, "answer": {"allow"}}); v.appURL != "" || resp.StatusCode != 404 {
		t.Errorf("a used flow answered again: %d, app sent to %q", resp.StatusCode, v.appURL)
	}
}
