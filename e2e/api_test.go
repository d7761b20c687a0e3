// Package e2e drives the real notreasso binary over HTTP: the API suite
// runs once per storage backend, S3 against a real versitygw process.
package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notreasso/internal/testutil/s3server"
	"notreasso/internal/testutil/server"
	"notreasso/storage"
	"notreasso/storage/s3"
)

var backends = []string{"fs", "s3"}

// forEachBackend runs f against a fresh server on each storage backend.
func forEachBackend(t *testing.T, f func(t *testing.T, srv *server.Server)) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			f(t, server.Start(t, server.Options{Backend: b}))
		})
	}
}

// blobKeys lists what the server's blob store holds, read directly from
// the backend (disk or bucket), not through the server.
func blobKeys(t *testing.T, srv *server.Server) []string {
	t.Helper()
	var store storage.BlobStore
	if srv.S3 != nil {
		s, err := s3.New(context.Background(), s3.Config{Endpoint: srv.S3.Endpoint, Bucket: "notreasso", AccessKey: srv.S3.AccessKey,
			SecretKey: srv.S3.SecretKey, PathStyle: true, Region: s3server.Region}, nil)
		if err != nil {
			t.Fatal(err)
		}
		store = s
	} else {
		var keys []string
		filepath.WalkDir(filepath.Join(srv.Data, "blobs"), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && filepath.Base(filepath.Dir(p)) != "tmp" && storage.ValidKey(d.Name()) {
				keys = append(keys, d.Name())
			}
			return nil
		})
		return keys
	}
	var keys []string
	if err := store.List(context.Background(), "", func(b storage.BlobInfo) error { keys = append(keys, b.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	return keys
}

// spoolFiles lists the partial uploads left in the spool folders; the
// empty files the server makes ahead for the next uploads (spare-…) are
// not partial uploads.
func spoolFiles(srv *server.Server) []string {
	var out []string
	for _, dir := range []string{filepath.Join(srv.Data, "blobs", "tmp"), filepath.Join(srv.Data, "spool")} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), "spare-") {
				out = append(out, e.Name())
			}
		}
	}
	return out
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestVersionsRestoreAndTrash(t *testing.T) {
	forEachBackend(t, func(t *testing.T, srv *server.Server) {
		c := admin(t, srv)
		if st := c.call("POST", "/api/v1/folders/Conseil%20d%27administration", nil, nil); st != 201 {
			t.Fatalf("mkdir: %d", st)
		}
		path := "/Conseil d'administration/Procès-verbal.txt"
		bodies := [][]byte{[]byte("première version"), []byte("deuxième version"), []byte("troisième version")}
		for i, b := range bodies {
			st, n := c.put(path, b)
			if want := map[bool]int{true: 201, false: 200}[i == 0]; st != want || n.Version != i+1 || n.Hash != sum(b) {
				t.Fatalf("put #%d: status %d, %+v", i+1, st, n)
			}
		}
		var vs struct {
			Versions []struct {
				Number  int  `json:"number"`
				Current bool `json:"current"`
			} `json:"versions"`
		}
		if st := c.call("GET", "/api/v1/versions/"+escapePath(path), nil, &vs); st != 200 || len(vs.Versions) != 3 || !vs.Versions[0].Current {
			t.Fatalf("versions: %d %+v", st, vs)
		}
		st, got, _ := c.get(escapePath(path)+"?version=1", nil)
		if st != 200 || !bytes.Equal(got, bodies[0]) {
			t.Fatalf("version 1: %d %q", st, got)
		}
		var n node
		if st := c.call("POST", "/api/v1/restore-version", map[string]any{"path": path, "version": 1}, &n); st != 200 || n.Version != 4 {
			t.Fatalf("restore version: %d %+v", st, n)
		}
		if _, got, _ := c.get(escapePath(path), nil); !bytes.Equal(got, bodies[0]) {
			t.Fatalf("after restoring version 1: %q", got)
		}
		if st := c.call("DELETE", "/api/v1/files/"+escapePath(path), nil, nil); st != 204 {
			t.Fatalf("delete: %d", st)
		}
		if st, _, _ := c.get(escapePath(path), nil); st != 404 {
			t.Fatalf("deleted file still served: %d", st)
		}
		var trash struct {
			Items []struct {
				ID           int64  `json:"id"`
				OriginalPath string `json:"original_path"`
			} `json:"items"`
		}
		c.call("GET", "/api/v1/trash", nil, &trash)
		if len(trash.Items) != 1 || trash.Items[0].OriginalPath != path {
			t.Fatalf("trash: %+v", trash)
		}
		if st := c.call("POST", fmt.Sprintf("/api/v1/trash/%d/restore", trash.Items[0].ID), nil, nil); st != 200 {
			t.Fatalf("restore from trash: %d", st)
		}
		if _, got, _ := c.get(escapePath(path), nil); !bytes.Equal(got, bodies[0]) {
			t.Fatalf("after trash restore: %q", got)
		}
	})
}

func TestIdenticalContentStoredOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, srv *server.Server) {
		c := admin(t, srv)
		body := bytes.Repeat([]byte("reçu de cotisation 2026\n"), 1000)
		c.put("/reçu.txt", body)
		c.put("/copie du reçu.txt", body)
		keys := blobKeys(t, srv)
		if len(keys) != 1 || keys[0] != sum(body) {
			t.Fatalf("blobs = %v, want one: %s", keys, sum(body))
		}
	})
}

// A client that sends half of its announced body and hangs up must leave
// no version, no blob and no spool file.
func TestDisconnectHalfwayLeavesNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, srv *server.Server) {
		c := admin(t, srv)
		c.put("/existant.bin", []byte("ancien contenu"))
		before := blobKeys(t, srv)
		for _, path := range []string{"/nouveau.bin", "/existant.bin"} {
			conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			const size = 8 << 20
			fmt.Fprintf(conn, "PUT /api/v1/files%s HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nContent-Length: %d\r\n\r\n",
				path, basic("admin", server.AdminPassword), size)
			conn.Write(bytes.Repeat([]byte("x"), size/2))
			time.Sleep(200 * time.Millisecond)
			conn.Close()
		}
		deadline := time.Now().Add(10 * time.Second)
		for len(spoolFiles(srv)) > 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if f := spoolFiles(srv); len(f) > 0 {
			t.Errorf("spool files left: %v", f)
		}
		if st, _, _ := c.get("nouveau.bin", nil); st != 404 {
			t.Errorf("half-uploaded new file exists: %d", st)
		}
		if _, got, _ := c.get("existant.bin", nil); string(got) != "ancien contenu" {
			t.Errorf("existing file changed: %q", got)
		}
		var vs struct{ Versions []any }
		c.call("GET", "/api/v1/versions/existant.bin", nil, &vs)
		if len(vs.Versions) != 1 {
			t.Errorf("%d versions of existant.bin, want 1", len(vs.Versions))
		}
		if after := blobKeys(t, srv); len(after) != len(before) {
			t.Errorf("blobs %v → %v", before, after)
		}
	})
}

func TestBadNamesRefused(t *testing.T) {
	forEachBackend(t, func(t *testing.T, srv *server.Server) {
		c := admin(t, srv)
		c.call("POST", "/api/v1/folders/ok", nil, nil)
		long := strings.Repeat("n", 300)
		tests := []struct {
			name, method, path string
			body               any
		}{
			{"dotdot upload", "PUT", "/api/v1/files/ok/..%2F..%2Fetc", nil},
			{"dotdot segment", "PUT", "/api/v1/files/ok/%2E%2E/x", nil},
			{"nul upload", "PUT", "/api/v1/files/ok/a%00b", nil},
			{"control char", "PUT", "/api/v1/files/ok/a%01b", nil},
			{"300-byte name", "PUT", "/api/v1/files/ok/" + long, nil},
			{"300-byte folder", "POST", "/api/v1/folders/" + long, nil},
			{"dotdot folder", "POST", "/api/v1/folders/ok/..", nil},
			{"move to dotdot", "POST", "/api/v1/move", map[string]any{"from": "/ok", "to": "/ok/../x"}},
			{"copy to nul", "POST", "/api/v1/copy", map[string]any{"from": "/ok", "to": "/a\x00b"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var e apiErr
				var st int
				if tt.method == "PUT" {
					resp := c.do("PUT", tt.path, strings.NewReader("contenu"), nil)
					st = resp.StatusCode
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					fmtUnmarshal(b, &e)
				} else {
					st = c.call(tt.method, tt.path, tt.body, &e)
				}
				if st != 400 || e.Error.Code != "invalid" || e.Error.Message == "" {
					t.Errorf("status %d, error %+v; want 400 invalid with a message", st, e)
				}
			})
		}
		var list struct{ Children []node }
		c.call("GET", "/api/v1/list/", nil, &list)
		if len(list.Children) != 1 || list.Children[0].Name != "ok" {
			t.Errorf("tree changed: %+v", list.Children)
		}
		c.call("GET", "/api/v1/list/ok", nil, &list)
		if len(list.Children) != 0 || len(blobKeys(t, srv)) != 0 {
			t.Errorf("something was stored: %+v", list.Children)
		}
	})
}

func TestDownloadRangesAndConditionals(t *testing.T) {
	forEachBackend(t, func(t *testing.T, srv *server.Server) {
		c := admin(t, srv)
		body := []byte("0123456789abcdefghij")
		c.put("/Statuts de l'association.txt", body)
		p := escapePath("/Statuts de l'association.txt")
		st, got, h := c.get(p, nil)
		if st != 200 || !bytes.Equal(got, body) || h.Get("ETag") != `"`+sum(body)+`"` {
			t.Fatalf("get: %d %q %v", st, got, h)
		}
		if !strings.Contains(h.Get("Content-Disposition"), "filename") || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
			t.Errorf("headers: %v", h)
		}
		if !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("user content served without sandbox/nosniff: %v", h)
		}
		tests := []struct {
			rng    string
			status int
			want   string
		}{
			{"bytes=0-3", 206, "0123"},
			{"bytes=10-", 206, "abcdefghij"},
			{"bytes=-5", 206, "fghij"},
			{"bytes=18-100", 206, "ij"},
			{"bytes=20-", 416, ""},
		}
		for _, tt := range tests {
			st, got, h := c.get(p, map[string]string{"Range": tt.rng})
			if st != tt.status || (st == 206 && string(got) != tt.want) {
				t.Errorf("Range %s: %d %q (%s)", tt.rng, st, got, h.Get("Content-Range"))
			}
		}
		if st, _, _ := c.get(p, map[string]string{"If-None-Match": `"` + sum(body) + `"`}); st != 304 {
			t.Errorf("If-None-Match: %d", st)
		}
		resp := c.do("HEAD", "/api/v1/files/"+p, nil, nil)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.ContentLength != int64(len(body)) {
			t.Errorf("HEAD: %d length %d", resp.StatusCode, resp.ContentLength)
		}
		// HTML is never rendered inline.
		c.put("/page.html", []byte("<script>alert(1)</script>"))
		_, _, h = c.get("page.html", nil)
		if !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
			t.Errorf("HTML served inline: %v", h.Get("Content-Disposition"))
		}
	})
}

func TestMoveCopyTags(t *testing.T) {
	forEachBackend(t, func(t *testing.T, srv *server.Server) {
		c := admin(t, srv)
		c.call("POST", "/api/v1/folders/A/B?parents=1", nil, nil)
		c.put("/A/B/doc.txt", []byte("x"))
		var n node
		if st := c.call("PUT", "/api/v1/tags/A/B/doc.txt", map[string]any{"tags": []string{"Statuts", "AG 2026"}}, &n); st != 200 || len(n.Tags) != 2 {
			t.Fatalf("tags: %d %+v", st, n)
		}
		if st := c.call("POST", "/api/v1/copy", map[string]any{"from": "/A", "to": "/C"}, nil); st != 201 {
			t.Fatalf("copy: %d", st)
		}
		if st := c.call("POST", "/api/v1/move", map[string]any{"from": "/A/B/doc.txt", "to": "/A/renommé.txt"}, &n); st != 200 || n.Path != "/A/renommé.txt" || len(n.Tags) != 2 {
			t.Fatalf("move: %d %+v", st, n)
		}
		var e apiErr
		if st := c.call("POST", "/api/v1/move", map[string]any{"from": "/A", "to": "/A/B/A"}, &e); st != 409 {
			t.Errorf("move into itself: %d %+v", st, e)
		}
		if st := c.call("POST", "/api/v1/move", map[string]any{"from": "/A/renommé.txt", "to": "/C/B/doc.txt"}, &e); st != 409 || e.Error.Code != "exists" {
			t.Errorf("move onto existing: %d %+v", st, e)
		}
		if st := c.call("GET", "/api/v1/stat/C/B/doc.txt", nil, &n); st != 200 || len(n.Tags) != 2 {
			t.Errorf("copied tags: %d %+v", st, n)
		}
		if len(blobKeys(t, srv)) != 1 {
			t.Errorf("copy duplicated the blob")
		}
	})
}

func basic(u, p string) string {
	return b64(u + ":" + p)
}

var _ = http.StatusOK
