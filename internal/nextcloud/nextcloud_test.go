package nextcloud

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"notreasso/internal/testutil/repotest"
	"notreasso/internal/testutil/testdb"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/dav"
	"notreasso/internal/repo"
)

// env is the door on a real repository and accounts, served on loopback.
type env struct {
	t    *testing.T
	url  string
	h    *Handler
	repo *repo.Service
	now  time.Time
	mu   sync.Mutex
}

const pw = repotest.Password

func newEnv(t *testing.T) *env {
	t.Helper()
	x := repotest.New(t, repo.Options{MaxUpload: 1 << 20})
	log, rs, as := x.Log, x.Repo, x.Auth
	e := &env{t: t, repo: rs, now: time.Now()}
	e.h = New(Options{Repo: rs, Auth: as, Flows: as, Logger: log, Now: e.clock,
		Drive: dav.New(dav.Options{Repo: rs, Auth: as, Logger: log})})
	app := fiber.New(fiber.Config{StreamRequestBody: true, DisableStartupMessage: true,
		RequestMethods: append(append([]string{}, fiber.DefaultMethods...), "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK")})
	Mount(app, e.h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { app.Shutdown() })
	e.url = "http://" + ln.Addr().String()
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

// do sends a request as login (none if empty) and returns status and body.
func (e *env) do(login, method, path string, body io.Reader, hdr map[string]string) (int, string, http.Header) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if login != "" {
		req.SetBasicAuth(login, pw)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestStatusAndOCS(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/status.php", "/nextcloud/status.php"} {
		st, body, _ := e.do("", "GET", p, nil, nil)
		var s map[string]any
		if st != 200 || json.Unmarshal([]byte(body), &s) != nil || s["installed"] != true || s["productname"] != "Notre Asso" {
			t.Errorf("%s: %d %s", p, st, body)
		}
	}
	st, body, _ := e.do("", "GET", "/ocs/v1.php/cloud/capabilities", nil, nil)
	if st != 200 || !strings.Contains(body, "<statuscode>100</statuscode>") || !strings.Contains(body, "<chunking>1.0</chunking>") ||
		!strings.Contains(body, "<element>SHA1</element>") {
		t.Errorf("capabilities v1 XML: %d %s", st, body)
	}
	st, body, _ = e.do("", "GET", "/ocs/v2.php/cloud/capabilities?format=json", nil, nil)
	var caps struct {
		OCS struct {
			Meta struct{ StatusCode int } `json:"meta"`
			Data struct {
				Capabilities struct {
					Dav   struct{ Chunking string }           `json:"dav"`
					Files struct{ Undelete, Versioning bool } `json:"files"`
				} `json:"capabilities"`
			} `json:"data"`
		} `json:"ocs"`
	}
	if st != 200 || json.Unmarshal([]byte(body), &caps) != nil || caps.OCS.Meta.StatusCode != 200 || caps.OCS.Data.Capabilities.Dav.Chunking != "1.0" {
		t.Errorf("capabilities v2 JSON: %d %s", st, body)
	}
	if st, _, hdr := e.do("", "GET", "/ocs/v2.php/cloud/user?format=json", nil, nil); st != 401 || hdr.Get("WWW-Authenticate") == "" {
		t.Errorf("user without credentials: %d", st)
	}
	if st, body, _ := e.do("marie", "GET", "/ocs/v2.php/cloud/user?format=json", nil, nil); st != 200 || !strings.Contains(body, `"id":"marie"`) {
		t.Errorf("user: %d %s", st, body)
	}
	if st, body, _ := e.do("marie", "GET", "/ocs/v2.php/apps/notifications/api/v2/notifications?format=json", nil, nil); st != 404 || !strings.Contains(body, `"statuscode":404`) {
		t.Errorf("unknown OCS route: %d %s", st, body)
	}
	if st, _, _ := e.do("marie", "GET", "/index.php/avatar/marie/64", nil, nil); st != 404 {
		t.Errorf("avatar: %d, want a clean 404", st)
	}
}

// Each account reaches its own files and uploads only.
func TestOtherAccountRefused(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/remote.php/dav/files/admin/", "/remote.php/dav/uploads/admin/"} {
		if st, _, _ := e.do("marie", "PROPFIND", p, nil, map[string]string{"Depth": "1"}); st != 403 {
			t.Errorf("marie on %s: %d, want 403", p, st)
		}
	}
	if st, _, _ := e.do("", "PROPFIND", "/remote.php/dav/files/marie/", nil, map[string]string{"Depth": "1"}); st != 401 {
		t.Errorf("no credentials: %d, want 401", st)
	}
	if st, _, _ := e.do("marie", "PROPFIND", "/remote.php/webdav/", nil, map[string]string{"Depth": "0"}); st != 207 {
		t.Errorf("legacy webdav path: %d, want 207", st)
	}
}

func sha1hex(s string) string { h := sha1.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

// OC-Checksum is verified before anything is kept, on PUT and on the
// MOVE that assembles chunks.
func TestChecksumVerified(t *testing.T) {
	e := newEnv(t)
	const f = "/remote.php/dav/files/marie/reçu.txt"
	st, _, _ := e.do("marie", "PUT", f, strings.NewReader("vingt euros"), map[string]string{"OC-Checksum": "SHA1:" + sha1hex("dix euros")})
	if st != 400 {
		t.Fatalf("PUT with a wrong checksum: %d, want 400", st)
	}
	if _, err := e.repo.Tree.Stat(context.Background(), acl.SystemPrincipal(), "/reçu.txt"); err == nil {
		t.Fatal("a file whose checksum did not match was kept")
	}
	st, _, hdr := e.do("marie", "PUT", f, strings.NewReader("vingt euros"), map[string]string{"OC-Checksum": "SHA1:" + sha1hex("vingt euros"), "X-OC-Mtime": "1600000000"})
	if st != 201 || hdr.Get("OC-FileId") == "" || hdr.Get("OC-ETag") == "" || hdr.Get("X-OC-Mtime") != "accepted" {
		t.Fatalf("PUT with the right checksum: %d %v", st, hdr)
	}
	n, err := e.repo.Tree.Stat(context.Background(), acl.SystemPrincipal(), "/reçu.txt")
	if err != nil || !n.ModTime.Equal(time.Unix(1600000000, 0)) {
		t.Fatalf("stored: %v %v", n.ModTime, err)
	}
}

// A PROPFIND as the desktop app sends it gets every property it reads.
func TestPropfindSyncProperties(t *testing.T) {
	e := newEnv(t)
	if st, _, _ := e.do("marie", "PUT", "/remote.php/dav/files/marie/note.txt", strings.NewReader("x"), nil); st != 201 {
		t.Fatalf("PUT: %d", st)
	}
	body := `<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns"><d:prop>
		<d:resourcetype/><d:getlastmodified/><d:getcontentlength/><d:getetag/><oc:id/><oc:fileid/><oc:permissions/><oc:size/>
		<oc:checksums/><oc:data-fingerprint/><oc:share-types/><nc:has-preview/></d:prop></d:propfind>`
	st, out, _ := e.do("marie", "PROPFIND", "/remote.php/dav/files/marie/", strings.NewReader(body), map[string]string{"Depth": "1"})
	if st != 207 {
		t.Fatalf("PROPFIND: %d %s", st, out)
	}
	for _, want := range []string{"<D:href>/remote.php/dav/files/marie/note.txt</D:href>", "<oc:permissions>DNVW</oc:permissions>",
		"<oc:permissions>DNVCK</oc:permissions>", "<nc:has-preview>false</nc:has-preview>", "<oc:share-types/>",
		"<oc:data-fingerprint/>", "<oc:checksum>SHA256:", `xmlns:nc="http://nextcloud.org/ns"`} {
		if !strings.Contains(out, want) {
			t.Errorf("PROPFIND lacks %s:\n%s", want, out)
		}
	}
}

func TestMain(m *testing.M) { testdb.Main(m) }
