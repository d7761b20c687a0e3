package e2e

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"notreasso/internal/testutil/server"
)

// world is a running server with a few people and folders, set up through
// the admin API, for permission tests.
type world struct {
	srv   *server.Server
	admin *client
	users map[string]*client // by login; "" is the anonymous visitor
	trash map[string]int64   // trash item prepared for each person (matrix)
}

const userPassword = "mot-de-passe-de-test"

// newWorld starts a server and creates marie (member), paul (guest, no
// grants) and lea (guest in the group "partenaires").
func newWorld(t *testing.T, opts server.Options) *world {
	t.Helper()
	srv := server.Start(t, opts)
	w := &world{srv: srv, admin: admin(t, srv), users: map[string]*client{"": newClient(t, srv, "", "")}}
	w.users["admin"] = w.admin
	for _, u := range []struct{ login, role string }{{"marie", "member"}, {"paul", "guest"}, {"lea", "guest"}} {
		w.mustCall(201, "POST", "/api/v1/admin/users", map[string]any{"login": u.login, "password": userPassword, "role": u.role})
		w.users[u.login] = newClient(t, srv, u.login, userPassword)
	}
	w.mustCall(201, "POST", "/api/v1/admin/groups", map[string]any{"name": "partenaires"})
	w.mustCall(200, "PUT", "/api/v1/admin/groups/partenaires/members/lea", nil)
	return w
}

// mustCall makes an admin API call and fails the test on another status.
func (w *world) mustCall(want int, method, path string, in any) map[string]any {
	w.admin.t.Helper()
	var out map[string]any
	if st := w.admin.call(method, path, in, &out); st != want {
		w.admin.t.Fatalf("%s %s: %d %v, want %d", method, path, st, out, want)
	}
	return out
}

// put uploads as admin.
func (w *world) put(path, content string) {
	w.admin.t.Helper()
	if st, _ := w.admin.put(path, []byte(content)); st != 201 && st != 200 {
		w.admin.t.Fatalf("put %s: %d", path, st)
	}
}

// trashed puts a file and deletes it, returning its trash id.
func (w *world) trashed(path string) int64 {
	w.admin.t.Helper()
	w.put(path, "à jeter")
	var n node
	if w.admin.call("GET", "/api/v1/stat/"+escapePath(path), nil, &n) != 200 || w.admin.call("DELETE", "/api/v1/files/"+escapePath(path), nil, nil) != 204 {
		w.admin.t.Fatalf("trash %s", path)
	}
	return n.ID
}

// share creates a link as admin and returns its token and id.
func (w *world) share(req map[string]any) (string, int64) {
	w.admin.t.Helper()
	out := w.mustCall(201, "POST", "/api/v1/shares", req)
	return out["token"].(string), int64(out["id"].(float64))
}

// cookieClient is a cookie-keeping HTTP client, as a web browser is.
type cookieClient struct {
	t    testing.TB
	base string
	hc   *http.Client
}

func newBrowser(t testing.TB, srv *server.Server) *cookieClient {
	jar, _ := cookiejar.New(nil)
	return &cookieClient{t: t, base: srv.URL, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *cookieClient) cookie(name string) string {
	u, _ := url.Parse(b.base)
	for _, c := range b.hc.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// do sends a request and returns status, body and headers.
func (b *cookieClient) do(method, path string, body io.Reader, hdr map[string]string) (int, string, http.Header) {
	b.t.Helper()
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out), resp.Header
}

// upload posts files as a multipart form, the CSRF token in the query
// string as the drop-box page does.
func (b *cookieClient) upload(path string, files map[string]string) (int, string) {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for name, content := range files {
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write([]byte(content))
	}
	mw.Close()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	st, body, _ := b.do("POST", path+sep+"_csrf="+url.QueryEscape(b.cookie("notreasso_csrf")), &buf,
		map[string]string{"Content-Type": mw.FormDataContentType()})
	return st, body
}

// login logs the browser in through the JSON API, CSRF token included.
func (b *cookieClient) login(login, password string) int {
	b.t.Helper()
	b.do("GET", "/api/v1/me", nil, nil)
	st, _, _ := b.do("POST", "/api/v1/login", strings.NewReader(fmt.Sprintf(`{"login":%q,"password":%q}`, login, password)),
		map[string]string{"Content-Type": "application/json", "X-CSRF-Token": b.cookie("notreasso_csrf")})
	return st
}
