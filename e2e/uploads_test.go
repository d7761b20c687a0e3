package e2e

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

type uploadState struct {
	ID     string `json:"id"`
	Offset int64  `json:"offset"`
	Size   int64  `json:"size"`
}

func (c *client) chunk(id string, body []byte, off, size int64) (int, uploadState) {
	c.t.Helper()
	resp := c.do("PUT", "/api/v1/uploads/"+id, bytes.NewReader(body), map[string]string{
		"Content-Range": fmt.Sprintf("bytes %d-%d/%d", off, off+int64(len(body))-1, size)})
	defer resp.Body.Close()
	var st uploadState
	json.NewDecoder(resp.Body).Decode(&st)
	return resp.StatusCode, st
}

// A large file goes up in chunks; a chunk cut by the network keeps what
// arrived, the client asks for the offset and resumes; the commit makes a
// file (then a version) and leaves no spool file behind.
func TestResumableUpload(t *testing.T) {
	forEachBackend(t, func(t *testing.T, srv *server.Server) {
		c := admin(t, srv)
		c.call("POST", "/api/v1/folders/Archives", nil, nil)
		const size = 3<<20 + 12345
		data := make([]byte, size)
		rand.Read(data)
		var up uploadState
		if st := c.call("POST", "/api/v1/uploads", map[string]any{"path": "/Archives/film.bin", "size": size, "mtime": 1700000000}, &up); st != 201 || up.Offset != 0 {
			t.Fatalf("create: %d %+v", st, up)
		}
		if st, s := c.chunk(up.ID, data[:1<<20], 0, size); st != 200 || s.Offset != 1<<20 {
			t.Fatalf("first chunk: %d %+v", st, s)
		}
		// The second chunk is cut half-way by a dropped connection.
		conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "PUT /api/v1/uploads/%s HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nContent-Range: bytes %d-%d/%d\r\nContent-Length: %d\r\n\r\n",
			up.ID, basic("admin", server.AdminPassword), 1<<20, 2<<20-1, size, 1<<20)
		conn.Write(data[1<<20 : 1<<20+300000])
		time.Sleep(200 * time.Millisecond)
		conn.Close()
		var got uploadState
		deadline := time.Now().Add(10 * time.Second)
		for {
			st := c.call("GET", "/api/v1/uploads/"+up.ID, nil, &got)
			if st == 200 && got.Offset == 1<<20+300000 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("offset after the cut: %d %+v, want %d", st, got, 1<<20+300000)
			}
			time.Sleep(50 * time.Millisecond)
		}
		// A chunk from the wrong place is refused with the right offset (once
		// the cut request has let go of the upload: until then, "busy").
		for {
			st, s := c.chunk(up.ID, data[:100], 0, size)
			if st == 409 && s.Offset == got.Offset {
				break
			}
			if st != 409 || time.Now().After(deadline) {
				t.Fatalf("misplaced chunk: %d %+v", st, s)
			}
			time.Sleep(50 * time.Millisecond)
		}
		var e apiErr
		if st := c.call("POST", "/api/v1/uploads/"+up.ID+"/commit", nil, &e); st != 400 || e.Error.Code != "incomplete" {
			t.Fatalf("early commit: %d %+v", st, e)
		}
		for off := got.Offset; off < size; off += 1 << 20 {
			end := min(off+1<<20, size)
			if st, _ := c.chunk(up.ID, data[off:end], off, size); st != 200 {
				t.Fatalf("chunk at %d: %d", off, st)
			}
		}
		// Someone else cannot see or commit it.
		if _, err := srv.Run(t.Context(), strings.NewReader("password-de-marie"), "user", "add", "marie", "--password-stdin"); err != nil {
			t.Fatal(err)
		}
		if st := newClient(t, srv, "marie", "password-de-marie").call("POST", "/api/v1/uploads/"+up.ID+"/commit", nil, nil); st != 404 {
			t.Errorf("another user's commit: %d", st)
		}
		var n node
		if st := c.call("POST", "/api/v1/uploads/"+up.ID+"/commit", nil, &n); st != 201 || n.Hash != sum(data) || n.Size != size || n.Version != 1 {
			t.Fatalf("commit: %d %+v", st, n)
		}
		if st, body, _ := c.get("Archives/film.bin", nil); st != 200 || !bytes.Equal(body, data) {
			t.Fatalf("download after commit: %d, %d bytes", st, len(body))
		}
		// Same path again: a new version.
		c.call("POST", "/api/v1/uploads", map[string]any{"path": "/Archives/film.bin", "size": 5}, &up)
		c.chunk(up.ID, []byte("court"), 0, 5)
		if st := c.call("POST", "/api/v1/uploads/"+up.ID+"/commit", nil, &n); st != 200 || n.Version != 2 {
			t.Fatalf("second commit: %d %+v", st, n)
		}
		if f := spoolFiles(srv); len(f) > 0 {
			t.Errorf("spool files left: %v", f)
		}
		// Refused before any byte: no rights, or over the limit.
		if st := newClient(t, srv, "marie", "password-de-marie").call("POST", "/api/v1/uploads", map[string]any{"path": "/Nulle/part.bin", "size": 10}, nil); st != 404 {
			t.Errorf("upload into a missing folder: %d", st)
		}
		if st := c.call("POST", "/api/v1/uploads", map[string]any{"path": "/Archives/énorme.bin", "size": 1 << 50}, &e); st != 413 {
			t.Errorf("over the limit: %d %+v", st, e)
		}
	})
}

// Folders download as a zip stream; previews keep user content harmless.
func TestZipAndPreview(t *testing.T) {
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	c.call("POST", "/api/v1/folders/Bureau/Sous-dossier?parents=1", nil, nil)
	c.put("/Bureau/statuts.txt", []byte("Article 1"))
	c.put("/Bureau/Sous-dossier/budget.csv", []byte("a;b"))
	c.put("/Bureau/rapport.pdf", makePDF("rapport moral"))
	resp := c.do("GET", "/zip/Bureau", nil, nil)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("zip: %d %v", resp.StatusCode, resp.Header)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		got[f.Name] = string(b)
	}
	if got["Bureau/statuts.txt"] != "Article 1" || got["Bureau/Sous-dossier/budget.csv"] != "a;b" || !strings.HasPrefix(got["Bureau/rapport.pdf"], "%PDF") {
		t.Errorf("zip content: %v", keys(got))
	}
	tests := []struct {
		path, wantCSP, notCSP string
		status                int
	}{
		{"/preview/Bureau/rapport.pdf", "default-src 'none'", "sandbox", 200},
		{"/preview/Bureau/statuts.txt", "", "", 404},
		{"/preview/Bureau/absent.pdf", "", "", 404},
	}
	for _, tt := range tests {
		resp := c.do("GET", tt.path, nil, nil)
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if resp.StatusCode != tt.status || (tt.status == 200 && (!strings.Contains(csp, tt.wantCSP) || strings.Contains(csp, tt.notCSP))) {
			t.Errorf("%s: %d, CSP %q", tt.path, resp.StatusCode, csp)
		}
	}
	// Anonymous visitors are sent to the login page, not shown an error.
	anon := newClient(t, srv, "", "")
	anon.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp = anon.do("GET", "/browse/Bureau", nil, map[string]string{"Accept": "text/html"})
	resp.Body.Close()
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Errorf("anonymous browse: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// An unknown address is a 404 page, not a login loop; a member is told
	// the admin page is not for them.
	resp = anon.do("GET", "/nowhere", nil, map[string]string{"Accept": "text/html"})
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("unknown page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	srv.Run(t.Context(), strings.NewReader("mot-de-passe-de-léa"), "user", "add", "lea", "--password-stdin")
	resp = newClient(t, srv, "lea", "mot-de-passe-de-léa").do("GET", "/admin", nil, map[string]string{"Accept": "text/html"})
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("member on /admin: %d", resp.StatusCode)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Cookie sessions need the CSRF token on every form; pages forbid inline
// script through their Content-Security-Policy.
func TestFormsNeedCSRF(t *testing.T) {
	srv := server.Start(t, server.Options{})
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("page CSP: %q", csp)
	}
	if strings.Contains(string(page), "<script>") || strings.Contains(string(page), " onclick=") {
		t.Error("inline script in the login page")
	}
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF field on the login page")
	}
	token := string(m[1])
	post := func(path string, form url.Values) int {
		resp, err := hc.PostForm(srv.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := post("/login", url.Values{"login": {"admin"}, "password": {server.AdminPassword}}); st != 403 {
		t.Errorf("login without token: %d", st)
	}
	if st := post("/login", url.Values{"_csrf": {token}, "login": {"admin"}, "password": {server.AdminPassword}}); st != 303 {
		t.Fatalf("login: %d", st)
	}
	// The token rotates at login: the one from before no longer works.
	if st := post("/do/mkdir", url.Values{"path": {"/"}, "name": {"Avant"}, "back": {"/browse/"}, "_csrf": {token}}); st != 403 {
		t.Errorf("mkdir with the token from before the login: %d", st)
	}
	resp, err = hc.Get(srv.URL + "/browse/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if m = regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(page); m == nil || string(m[1]) == token {
		t.Fatal("no new CSRF token after the login")
	}
	token = string(m[1])
	form := url.Values{"path": {"/"}, "name": {"Bureau"}, "back": {"/browse/"}}
	if st := post("/do/mkdir", form); st != 403 {
		t.Errorf("mkdir without token: %d", st)
	}
	form.Set("_csrf", "forged-"+token)
	if st := post("/do/mkdir", form); st != 403 {
		t.Errorf("mkdir with a forged token: %d", st)
	}
	form.Set("_csrf", token)
	if st := post("/do/mkdir", form); st != 303 {
		t.Errorf("mkdir with the token: %d", st)
	}
	if st := admin(t, srv).call("GET", "/api/v1/stat/Bureau", nil, nil); st != 200 {
		t.Errorf("folder not created: %d", st)
	}
}
