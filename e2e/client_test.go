package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"notreasso/internal/testutil/server"
)

// client speaks the JSON API with Basic credentials.
type client struct {
	t          testing.TB
	base       string
	user, pass string
	hc         *http.Client
}

func newClient(t testing.TB, srv *server.Server, user, pass string) *client {
	return &client{t: t, base: srv.URL, user: user, pass: pass, hc: &http.Client{}}
}

func admin(t testing.TB, srv *server.Server) *client {
	return newClient(t, srv, "admin", server.AdminPassword)
}

// escapePath percent-encodes each segment of a repository path.
func escapePath(p string) string {
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

func (c *client) do(method, path string, body io.Reader, hdr map[string]string) *http.Response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// call sends in as JSON (if not nil), decodes the answer into out (if not
// nil) and returns the status.
func (c *client) call(method, path string, in, out any) int {
	c.t.Helper()
	var body io.Reader
	hdr := map[string]string{}
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
		hdr["Content-Type"] = "application/json"
	}
	resp := c.do(method, path, body, hdr)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
	return resp.StatusCode
}

func (c *client) put(path string, content []byte) (int, node) {
	c.t.Helper()
	resp := c.do("PUT", "/api/v1/files/"+escapePath(path), bytes.NewReader(content), nil)
	defer resp.Body.Close()
	var n node
	json.NewDecoder(resp.Body).Decode(&n)
	return resp.StatusCode, n
}

// putStream uploads size bytes read from body, announcing them in
// Content-Length, so large files are sent without being held in memory.
func (c *client) putStream(path string, body io.Reader, size int64) (int, node) {
	c.t.Helper()
	req, err := http.NewRequest("PUT", c.base+"/api/v1/files/"+escapePath(path), body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.ContentLength = size
	req.SetBasicAuth(c.user, c.pass)
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("PUT %s: %v", path, err)
	}
	defer resp.Body.Close()
	var n node
	json.NewDecoder(resp.Body).Decode(&n)
	return resp.StatusCode, n
}

func (c *client) get(path string, hdr map[string]string) (int, []byte, http.Header) {
	c.t.Helper()
	resp := c.do("GET", "/api/v1/files/"+path, nil, hdr)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

type node struct {
	ID      int64    `json:"id"`
	Name    string   `json:"name"`
	Path    string   `json:"path"`
	Type    string   `json:"type"`
	Size    int64    `json:"size"`
	Mime    string   `json:"mime"`
	ETag    string   `json:"etag"`
	Hash    string   `json:"sha256"`
	Version int      `json:"version"`
	Tags    []string `json:"tags"`
	Role    string   `json:"role"`
}

type apiErr struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}
