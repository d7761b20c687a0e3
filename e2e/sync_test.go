package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"notreasso/internal/testutil/server"
)

// syncClient runs a real sync client (nextcloudcmd or owncloudcmd) on a
// local folder against a test server, one pass per run, and counts what
// the server saw in its request log.
type syncClient struct {
	t          *testing.T
	srv        *server.Server
	bin        string
	dir        string
	user, pass string
	extra      []string // more arguments
	env        []string // more environment (OWNCLOUD_CHUNK_SIZE…)
}

func newSyncClient(t *testing.T, srv *server.Server, bin, user, pass string) *syncClient {
	t.Helper()
	return &syncClient{t: t, srv: srv, bin: tool(t, bin), dir: t.TempDir(), user: user, pass: pass}
}

// run makes one sync pass and returns the requests the server logged
// during it.
func (c *syncClient) run() requests {
	c.t.Helper()
	return c.runExpect(false)
}

// runExpect is run where refusals are expected: the client then exits 1
// (some items could not be synced) rather than 0.
func (c *syncClient) runExpect(refusals bool) requests {
	c.t.Helper()
	mark := len(c.srv.Output())
	out, err := c.command(context.Background()).CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !(refusals && errors.As(err, &ee) && ee.ExitCode() == 1) {
		c.t.Fatalf("%s: %v\n%s", c.bin, err, tail(string(out), 3000))
	}
	return c.since(mark)
}

func (c *syncClient) command(ctx context.Context) *exec.Cmd {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	c.t.Cleanup(cancel)
	args := append([]string{"--non-interactive", "-u", c.user, "-p", c.pass}, c.extra...)
	cmd := exec.CommandContext(ctx, c.bin, append(args, c.dir, c.srv.URL+"/")...)
	// No settings from the developer's account.
	cmd.Env = append(append(os.Environ(), "HOME="+c.t.TempDir()), c.env...)
	return cmd
}

// since returns the requests logged after mark (a length of the output).
func (c *syncClient) since(mark int) requests {
	return parseRequests(c.srv.Output()[mark:])
}

var requestLine = regexp.MustCompile(`msg=request method=(\S+) path=(\S+)`)

// requests are the server's request log lines: method and path.
type requests [][2]string

func parseRequests(log string) requests {
	var out requests
	for _, m := range requestLine.FindAllStringSubmatch(log, -1) {
		if m[2] == "/healthz" || m[2] == "/metrics" {
			continue
		}
		out = append(out, [2]string{m[1], m[2]})
	}
	return out
}

// count is how many requests had the method and a path containing part.
func (r requests) count(method, part string) int {
	n := 0
	for _, q := range r {
		if (method == "" || q[0] == method) && strings.Contains(q[1], part) {
			n++
		}
	}
	return n
}

func (r requests) String() string {
	var b strings.Builder
	for _, q := range r {
		fmt.Fprintf(&b, "%s %s\n", q[0], q[1])
	}
	return tail(b.String(), 3000)
}

// local is a path in the client's folder.
func (c *syncClient) local(rel string) string { return filepath.Join(c.dir, filepath.FromSlash(rel)) }

func (c *syncClient) write(rel, content string, mtime time.Time) {
	c.t.Helper()
	p := c.local(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		c.t.Fatal(err)
	}
	if !mtime.IsZero() {
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			c.t.Fatal(err)
		}
	}
}

func (c *syncClient) read(rel string) (string, error) {
	b, err := os.ReadFile(c.local(rel))
	return string(b), err
}

// dav is a WebDAV request on the server's /dav/ drive, as the other side
// of the sync (someone working in the browser or a mounted drive).
func syncDav(t *testing.T, c *client, method, path string, body io.Reader, hdr map[string]string) int {
	t.Helper()
	resp := c.do(method, "/dav/"+escapePath(norm.NFC.String(path)), body, hdr)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func syncPut(t *testing.T, c *client, path, content string, mtime time.Time) {
	t.Helper()
	hdr := map[string]string{}
	if !mtime.IsZero() {
		hdr["X-OC-Mtime"] = fmt.Sprint(mtime.Unix())
	}
	if st := syncDav(t, c, "PUT", path, strings.NewReader(content), hdr); st != 201 && st != 204 {
		t.Fatalf("PUT %s: %d", path, st)
	}
}

func syncMkcol(t *testing.T, c *client, path string) {
	t.Helper()
	if st := syncDav(t, c, "MKCOL", path, nil, nil); st != 201 {
		t.Fatalf("MKCOL %s: %d", path, st)
	}
}

func syncMove(t *testing.T, c *client, from, to string) {
	t.Helper()
	dst := c.base + "/dav/" + escapePath(to)
	if st := syncDav(t, c, "MOVE", from, nil, map[string]string{"Destination": dst}); st != 201 && st != 204 {
		t.Fatalf("MOVE %s %s: %d", from, to, st)
	}
}

// serverRead reads a file's current content through the API.
func serverRead(t *testing.T, c *client, path string) (int, string) {
	t.Helper()
	st, b, _ := c.get(escapePath(norm.NFC.String(path)), nil)
	return st, string(b)
}

func serverStat(t *testing.T, c *client, path string) (int, nodeTimes) {
	t.Helper()
	var n nodeTimes
	st := c.call("GET", "/api/v1/stat/"+escapePath(norm.NFC.String(path)), nil, &n)
	return st, n
}

type nodeTimes struct {
	node
	Modified time.Time `json:"modified"`
}

func versionCount(t *testing.T, c *client, path string) int {
	t.Helper()
	var vs struct {
		Versions []struct {
			Number int `json:"number"`
		} `json:"versions"`
	}
	if st := c.call("GET", "/api/v1/versions/"+escapePath(norm.NFC.String(path)), nil, &vs); st != 200 {
		t.Fatalf("versions of %s: %d", path, st)
	}
	return len(vs.Versions)
}

func trashPaths(t *testing.T, c *client) map[string]bool {
	t.Helper()
	var trash struct {
		Items []struct {
			OriginalPath string `json:"original_path"`
		} `json:"items"`
	}
	if st := c.call("GET", "/api/v1/trash", nil, &trash); st != 200 {
		t.Fatalf("trash: %d", st)
	}
	out := map[string]bool{}
	for _, it := range trash.Items {
		out[it.OriginalPath] = true
	}
	return out
}

// nilTime is « no particular modification time »: now.
func nilTime() time.Time { return time.Time{} }
