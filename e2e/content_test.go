package e2e

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

// contentDoor is one way of reading a file's content.
type contentDoor struct {
	name string
	get  func(path string, hdr map[string]string) (*http.Response, error)
}

// contentDoors are every contentDoor that sends a file's bytes, for admin: API
// download, WebDAV GET, a share link on the root folder, the web preview.
func contentDoors(t *testing.T, wd *world) []contentDoor {
	t.Helper()
	token, _ := wd.share(map[string]any{"path": "/Docs"})
	c := wd.admin
	req := func(method, u string, hdr map[string]string, auth bool) (*http.Response, error) {
		r, err := http.NewRequest(method, wd.srv.URL+u, nil)
		if err != nil {
			return nil, err
		}
		if auth {
			r.SetBasicAuth(c.user, c.pass)
		}
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		return http.DefaultClient.Do(r)
	}
	return []contentDoor{
		{"api", func(p string, h map[string]string) (*http.Response, error) {
			return req("GET", "/api/v1/files/"+escapePath(p), h, true)
		}},
		{"webdav", func(p string, h map[string]string) (*http.Response, error) {
			return req("GET", "/dav/"+escapePath(p), h, true)
		}},
		{"share", func(p string, h map[string]string) (*http.Response, error) {
			return req("GET", "/s/"+token+"/file/"+escapePath(strings.TrimPrefix(p, "Docs/")), h, false)
		}},
		{"preview", func(p string, h map[string]string) (*http.Response, error) {
			return req("GET", "/preview/"+escapePath(p), h, true)
		}},
	}
}

// Active content is never shown in place on the application's origin, on
// any contentDoor; HTML disguised by its name is sent with the name's type.
func TestActiveContentIsNeverInline(t *testing.T) {
	t.Parallel()
	wd := newWorld(t, server.Options{})
	html := "<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
	files := map[string]string{
		"Docs/page.html":  html,
		"Docs/page.xhtml": `<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>`,
		"Docs/logo.svg":   `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`,
		"Docs/notes.txt":  html,
		"Docs/photo.png":  html,
		"Docs/doc.pdf":    html,
	}
	wd.mustCall(201, "POST", "/api/v1/folders/Docs", nil)
	for p, body := range files {
		wd.put("/"+p, body)
	}
	for _, d := range contentDoors(t, wd) {
		for p := range files {
			resp, err := d.get(p, nil)
			if err != nil {
				t.Fatalf("%s %s: %v", d.name, p, err)
			}
			resp.Body.Close()
			if d.name == "preview" && resp.StatusCode == 404 {
				continue // not previewable: refused, fine
			}
			ct, disp := resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition")
			active := strings.Contains(ct, "html") || strings.Contains(ct, "svg") || strings.Contains(ct, "xml")
			if resp.StatusCode != 200 || resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
				(active && !strings.HasPrefix(disp, "attachment") && d.name != "preview") || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Errorf("%s %s: %d, type %q, disposition %q, nosniff %q, CSP %q", d.name, p, resp.StatusCode, ct, disp,
					resp.Header.Get("X-Content-Type-Options"), resp.Header.Get("Content-Security-Policy"))
			}
			if d.name == "preview" && active && !strings.HasPrefix(resp.Header.Get("Content-Security-Policy"), "sandbox") {
				t.Errorf("preview of %s is %s without the sandbox", p, ct)
			}
			if ext := filepath.Ext(p); (ext == ".txt" || ext == ".png" || ext == ".pdf") && strings.Contains(ct, "html") {
				t.Errorf("%s %s: sent as %s, which its name contradicts", d.name, p, ct)
			}
		}
	}
}

// blobFile is where the local store keeps the content of path's current version.
func blobFile(t *testing.T, wd *world, path string) (string, string) {
	t.Helper()
	var n node
	if wd.admin.call("GET", "/api/v1/stat/"+escapePath(path), nil, &n) != 200 {
		t.Fatalf("stat %s", path)
	}
	hash := strings.Trim(n.ETag, `"`)
	f := filepath.Join(wd.srv.Data, "blobs", hash[0:2], hash)
	if _, err := os.Stat(f); err != nil {
		t.Fatalf("blob of %s: %v", path, err)
	}
	return f, hash
}

// metric reads one series of the server's /metrics.
func metric(t *testing.T, srv *server.Server, name string, labels map[string]string) float64 {
	v, _ := value(scrape(t, srv), name, labels)
	return v
}

// waitMetric polls /metrics until the series satisfies ok: tests wait for
// what the server reports (an upload arrived, a job ran) instead of
// sleeping for a guess that a loaded machine outlasts.
func waitMetric(t *testing.T, srv *server.Server, name string, labels map[string]string, ok func(float64) bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		v, _ := value(scrape(t, srv), name, labels)
		if ok(v) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%v is still %v after 60 s", name, labels, v)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A missing blob is an error on every contentDoor: 5xx, a message without any
// server path, counted in /metrics, logged; never an empty 200.
func TestMissingContentIsAnError(t *testing.T) {
	t.Parallel()
	wd := newWorld(t, server.Options{})
	wd.mustCall(201, "POST", "/api/v1/folders/Docs", nil)
	wd.put("/Docs/perdu.pdf", "%PDF-1.4 le bilan de l'année")
	blob, _ := blobFile(t, wd, "/Docs/perdu.pdf")
	if err := os.Remove(blob); err != nil {
		t.Fatal(err)
	}
	before := metric(t, wd.srv, "notreasso_content_errors_total", map[string]string{"kind": "missing"})
	doors := contentDoors(t, wd)
	for _, d := range doors {
		resp, err := d.get("Docs/perdu.pdf", nil)
		if err != nil {
			t.Fatalf("%s: %v", d.name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 500 || resp.Header.Get("ETag") != "" || bytes.Contains(body, []byte(wd.srv.Data)) || bytes.Contains(body, []byte("/blobs/")) {
			t.Errorf("%s: missing content answered %d, ETag %q:\n%s", d.name, resp.StatusCode, resp.Header.Get("ETag"), body)
		}
	}
	if after := metric(t, wd.srv, "notreasso_content_errors_total", map[string]string{"kind": "missing"}); after < before+float64(len(doors)) {
		t.Errorf("content_errors_total{kind=missing}: %v → %v, want +%d", before, after, len(doors))
	}
	// HEAD answers what GET would: no 200 promising bytes that are gone.
	for _, u := range []string{"/api/v1/files/Docs/perdu.pdf", "/dav/Docs/perdu.pdf", "/remote.php/dav/files/admin/Docs/perdu.pdf"} {
		r, _ := http.NewRequest("HEAD", wd.srv.URL+u, nil)
		r.SetBasicAuth(wd.admin.user, wd.admin.pass)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 500 || resp.Header.Get("ETag") != "" {
			t.Errorf("HEAD %s of missing content: %d, ETag %q", u, resp.StatusCode, resp.Header.Get("ETag"))
		}
	}
	if !strings.Contains(wd.srv.Output(), "file content missing or unreadable") {
		t.Error("the missing content was not logged")
	}
}

// A folder's zip with a file whose content is missing is still a whole,
// valid archive: every other file complete, the missing one left out and
// named in a note in the reader's language — never a download cut midway.
func TestZipLeavesOutMissingContent(t *testing.T) {
	t.Parallel()
	wd := newWorld(t, server.Options{})
	wd.mustCall(201, "POST", "/api/v1/folders/Docs", nil)
	wd.put("/Docs/perdu.pdf", "%PDF-1.4 le bilan de l'année")
	wd.put("/Docs/statuts.txt", "Article 1")
	wd.put("/Docs/zz-budget.csv", "a;b")
	blob, _ := blobFile(t, wd, "/Docs/perdu.pdf")
	if err := os.Remove(blob); err != nil {
		t.Fatal(err)
	}
	for lang, note := range map[string]string{"fr": "LISEZ-MOI - fichiers manquants.txt", "en": "README - missing files.txt"} {
		resp := wd.admin.do("GET", "/zip/Docs", nil, map[string]string{"Accept-Language": lang})
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if resp.StatusCode != 200 || err != nil {
			t.Fatalf("%s: zip %d, %v", lang, resp.StatusCode, err)
		}
		got := map[string]string{}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatalf("%s: %s: %v", lang, f.Name, err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatalf("%s: %s: %v", lang, f.Name, err)
			}
			got[f.Name] = string(b)
		}
		if got["Docs/statuts.txt"] != "Article 1" || got["Docs/zz-budget.csv"] != "a;b" {
			t.Errorf("%s: the readable files: %v", lang, keys(got))
		}
		if _, ok := got["Docs/perdu.pdf"]; ok {
			t.Errorf("%s: the missing file has an entry", lang)
		}
		if n := got[note]; !strings.Contains(n, "Docs/perdu.pdf") {
			t.Errorf("%s: note %q: %q (entries %v)", lang, note, n, keys(got))
		}
	}
}

// A blob altered on disk is not served as the file: the first whole-file
// read is cut (the client cannot take it for complete), later ones get a
// 5xx at once, on every contentDoor; uploading the true content again repairs it.
func TestAlteredContentIsNotServed(t *testing.T) {
	t.Parallel()
	wd := newWorld(t, server.Options{})
	wd.mustCall(201, "POST", "/api/v1/folders/Docs", nil)
	orig := bytes.Repeat([]byte("le vrai bilan, ligne après ligne.\n"), 8000) // 280 KB: streamed, not buffered
	if st, _ := wd.admin.put("/Docs/bilan.txt", orig); st != 201 {
		t.Fatal("put")
	}
	small := []byte("petit fichier d'origine")
	if st, _ := wd.admin.put("/Docs/petit.txt", small); st != 201 {
		t.Fatal("put")
	}
	alter := func(path string) {
		blob, _ := blobFile(t, wd, path)
		os.Chmod(blob, 0o640)
		f, err := os.OpenFile(blob, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteAt([]byte("FALSIFIÉ"), 100%int64(len(small)))
		f.Close()
	}
	alter("/Docs/bilan.txt")
	alter("/Docs/petit.txt")
	doors := contentDoors(t, wd)
	// A range is not verified (it would mean reading the whole blob).
	resp, err := doors[0].get("Docs/bilan.txt", map[string]string{"Range": "bytes=0-9"})
	if err != nil || resp.StatusCode != 206 {
		t.Fatalf("range: %v %v", err, resp)
	}
	resp.Body.Close()
	before := metric(t, wd.srv, "notreasso_content_errors_total", map[string]string{"kind": "corrupt"})
	// First read through the API: the transfer breaks.
	resp, err = doors[0].get("Docs/bilan.txt", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if rerr == nil && resp.StatusCode == 200 {
		t.Fatalf("altered content served as a complete 200 (%d of %d bytes, equal to the original: %v)", len(got), len(orig), bytes.Equal(got, orig))
	}
	// The small one, first read over WebDAV: caught before anything is sent.
	resp, err = doors[1].get("Docs/petit.txt", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || !strings.Contains(string(body), "altered") {
		t.Errorf("small altered file over WebDAV: %d %s", resp.StatusCode, body)
	}
	// From now on every contentDoor refuses it before sending anything.
	for _, d := range doors {
		for _, p := range []string{"Docs/bilan.txt", "Docs/petit.txt"} {
			resp, err := d.get(p, nil)
			if err != nil {
				t.Fatalf("%s %s: %v", d.name, p, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if d.name == "preview" && resp.StatusCode == 404 {
				continue // text is not previewed by this route
			}
			if resp.StatusCode != 500 || bytes.Contains(body, []byte("FALSIFI")) || bytes.Contains(body, []byte(wd.srv.Data)) {
				t.Errorf("%s %s after detection: %d\n%.200s", d.name, p, resp.StatusCode, body)
			}
		}
	}
	if after := metric(t, wd.srv, "notreasso_content_errors_total", map[string]string{"kind": "corrupt"}); after < before+2 {
		t.Errorf("content_errors_total{kind=corrupt}: %v → %v", before, after)
	}
	// The file page still opens (its versions are the way back) and says why.
	b := newBrowser(t, wd.srv)
	b.login("admin", server.AdminPassword)
	if st, page, _ := b.do("GET", "/file/Docs/petit.txt", nil, map[string]string{"Accept-Language": "en"}); st != 200 || !strings.Contains(page, "altered") {
		t.Errorf("file page of an altered file: %d", st)
	}
	// Uploading the true content again repairs it.
	if st, _ := wd.admin.put("/Docs/bilan.txt", orig); st != 200 && st != 201 {
		t.Fatalf("put again: %d", st)
	}
	if st, got, _ := wd.admin.get("Docs/bilan.txt", nil); st != 200 || !bytes.Equal(got, orig) {
		t.Errorf("after upload of the true content: %d, equal %v", st, bytes.Equal(got, orig))
	}
}
