package dav_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"notreasso/internal/testutil/repotest"
	"notreasso/internal/testutil/testdb"
	"strings"
	"testing"

	"notreasso/internal/acl"
	"notreasso/internal/config"
	"notreasso/internal/meta"
	"notreasso/internal/repo"
	"notreasso/internal/web"
)

// env is the production HTTP server (internal/web, which mounts the
// drive) over a real SQLite database and blob store, on a loopback port.
type env struct {
	url  string
	db   *meta.DB
	repo *repo.Service
}

const password = repotest.Password

// users: admin; marie, a member (editor everywhere by default); paul, a
// guest who may only read /Lecture.
func newEnv(t testing.TB, dav config.DAV) *env {
	t.Helper()
	ctx := context.Background()
	x := repotest.New(t, repo.Options{MaxUpload: 1 << 20})
	dir, log, db, blobs, rs, as := x.Dir, x.Log, x.DB, x.Blobs, x.Repo, x.Auth
	admin := acl.Principal{UserID: 1, Login: "admin", Role: acl.Admin}
	n, err := rs.Tree.Mkdir(ctx, admin, "/Lecture")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.W.Exec(`INSERT INTO grants (node_id, principal_kind, principal_id, role, created_at) VALUES (?, 'user', 3, 'viewer', 0)`, n.ID); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Data, cfg.DAV = dir, dav
	if cfg.DAV.OSJunk == "" {
		cfg.DAV = config.Default().DAV
	}
	srv := web.New(web.Deps{Config: cfg, DB: db, Repo: rs, Auth: as, Blobs: blobs, Logger: log})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.App().Listener(ln)
	t.Cleanup(func() { srv.App().Shutdown() })
	return &env{url: "http://" + ln.Addr().String(), db: db, repo: rs}
}

// req is one request of a test table.
type req struct {
	user   string // "" for no credentials
	method string
	path   string // under the server root, e.g. /dav/a.txt
	body   string
	hdr    map[string]string
}

func (e *env) do(t testing.TB, r req) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequest(r.method, e.url+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.user != "" {
		hr.SetBasicAuth(r.user, password)
	}
	for k, v := range r.hdr {
		hr.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", r.method, r.path, err)
	}
	return resp, string(b)
}

// must runs a request and fails the test unless it gets want.
func (e *env) must(t testing.TB, want int, r req) (*http.Response, string) {
	t.Helper()
	resp, body := e.do(t, r)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d\n%s", r.method, r.path, resp.StatusCode, want, body)
	}
	return resp, body
}

func put(path, body string) req {
	return req{user: "admin", method: "PUT", path: path, body: body}
}

func propfind(path, depth, props string) req {
	return req{user: "admin", method: "PROPFIND", path: path, hdr: map[string]string{"Depth": depth},
		body: `<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:oc="http://owncloud.org/ns"><D:prop>` + props + `</D:prop></D:propfind>`}
}

func TestMain(m *testing.M) { testdb.Main(m) }
