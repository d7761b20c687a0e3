package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"notreasso/internal/testutil/tier"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"notreasso/internal/testutil/server"
)

// tool finds a client program the tests need; a missing one is a failure,
// not a skip (.ci/run installs them).
func tool(t *testing.T, name string) string {
	t.Helper()
	return tier.Tool(t, name, name)
}

func run(t *testing.T, dir string, env []string, stdin string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool(t, name), args...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

var litmusSummary = regexp.MustCompile("<- summary for `(\\w+)': of (\\d+) tests run: (\\d+) passed, (\\d+) failed")

// litmus, the WebDAV conformance suite, must pass entirely: all five
// groups, every test (Apache mod_dav passes 104 of 104).
func TestDAVLitmus(t *testing.T) {
	tool(t, "litmus")
	srv := server.Start(t, server.Options{})
	dir := t.TempDir() // litmus writes debug.log where it runs
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "litmus", "-k", srv.URL+"/dav/", "admin", server.AdminPassword)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	groups := map[string]bool{}
	total := 0
	for _, m := range litmusSummary.FindAllStringSubmatch(string(out), -1) {
		n, _ := strconv.Atoi(m[2])
		passed, _ := strconv.Atoi(m[3])
		groups[m[1]] = true
		total += passed
		if m[4] != "0" || passed != n {
			t.Errorf("litmus %s: %s of %s passed, %s failed", m[1], m[3], m[2], m[4])
		}
	}
	for _, g := range []string{"basic", "copymove", "props", "locks", "http"} {
		if !groups[g] {
			t.Errorf("litmus group %s did not run", g)
		}
	}
	t.Logf("litmus: %d tests passed", total)
	if err != nil || t.Failed() {
		log, _ := os.ReadFile(filepath.Join(dir, "debug.log"))
		t.Fatalf("litmus: %v\n%s\ndebug.log (end):\n%s", err, out, tail(string(log), 6000))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// rclone (owncloud vendor) copies a tree with accented names, one of them
// decomposed as macOS writes it, keeps modification times, and a second
// copy transfers nothing.
func TestDAVRclone(t *testing.T) {
	srv := server.Start(t, server.Options{})
	src := t.TempDir()
	files := map[string]string{
		"Conseil d'administration/Procès-verbaux/PV 2026-01 réunion.txt": "Procès-verbal de la réunion de janvier",
		"Trésorerie/Reçus/reçu n°1.txt":                                  strings.Repeat("reçu ", 50000),
		norm.NFD.String("Éléments à conserver.md"):                       "# À garder",
		"vide.txt": "",
	}
	mtime := time.Date(2021, 6, 7, 8, 9, 10, 0, time.UTC)
	for name, body := range files {
		p := filepath.Join(src, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, mtime, mtime)
	}
	home := t.TempDir()
	env := []string{"RCLONE_CONFIG=" + filepath.Join(home, "rclone.conf"), "HOME=" + home}
	pass := strings.TrimSpace(run(t, home, env, "", "rclone", "obscure", server.AdminPassword))
	remote := fmt.Sprintf(":webdav,url='%s/dav/',vendor=owncloud,user=admin,pass=%s:Archives", srv.URL, pass)
	run(t, home, env, "", "rclone", "copy", src, remote)
	out := run(t, home, env, "", "rclone", "check", "--download", src, remote)
	if !strings.Contains(out, "0 differences found") || !strings.Contains(out, "4 matching files") {
		t.Errorf("rclone check:\n%s", out)
	}
	var listed []struct {
		Path    string
		ModTime time.Time
		Size    int64
	}
	if err := json.Unmarshal([]byte(run(t, home, env, "", "rclone", "lsjson", "-q", "-R", "--files-only", remote)), &listed); err != nil {
		t.Fatal(err)
	}
	for _, f := range listed {
		if !f.ModTime.Equal(mtime) {
			t.Errorf("%s: modification time %v, want %v", f.Path, f.ModTime, mtime)
		}
	}
	if len(listed) != len(files) {
		t.Errorf("rclone lists %d files, want %d: %+v", len(listed), len(files), listed)
	}
	out = run(t, home, env, "", "rclone", "copy", "-v", src, remote)
	if strings.Contains(out, ": Copied") {
		t.Errorf("second copy transferred files again:\n%s", out)
	}
	// The decomposed name is stored composed (NFC), once, with one version.
	c := admin(t, srv)
	var vs struct{ Versions []any }
	if st := c.call("GET", "/api/v1/versions/Archives/"+escapePath("Éléments à conserver.md"), nil, &vs); st != 200 || len(vs.Versions) != 1 {
		t.Errorf("versions of the NFD file through the API: %d %+v", st, vs)
	}
}

// cadaver, scripted: mkcol, put, lock, put with the lock, unlock, move, get.
func TestDAVCadaver(t *testing.T) {
	srv := server.Start(t, server.Options{})
	home := t.TempDir()
	host := strings.TrimPrefix(srv.URL, "http://")
	host = host[:strings.LastIndexByte(host, ':')]
	os.WriteFile(filepath.Join(home, ".netrc"), []byte("machine "+host+"\nlogin admin\npassword "+server.AdminPassword+"\n"), 0o600)
	os.WriteFile(filepath.Join(home, "statuts.txt"), []byte("Article 1 : l'association est fondée."), 0o644)
	script := `mkcol Statuts
cd Statuts
put statuts.txt statuts-v1.txt
lock statuts-v1.txt
put statuts.txt statuts-v1.txt
unlock statuts-v1.txt
move statuts-v1.txt statuts.txt
get statuts.txt copie.txt
propset statuts.txt auteur Marie
propget statuts.txt auteur
quit
`
	out := run(t, home, []string{"HOME=" + home}, script, "cadaver", srv.URL+"/dav/")
	if n := strings.Count(out, "succeeded"); n != 8 || strings.Contains(out, "failed") {
		t.Errorf("cadaver: %d operations succeeded, want 8:\n%s", n, out)
	}
	if !strings.Contains(out, "Marie") {
		t.Errorf("cadaver propget:\n%s", out)
	}
	if got, _ := os.ReadFile(filepath.Join(home, "copie.txt")); string(got) != "Article 1 : l'association est fondée." {
		t.Errorf("downloaded %q", got)
	}
	var vs struct{ Versions []any }
	if st := admin(t, srv).call("GET", "/api/v1/versions/Statuts/statuts.txt", nil, &vs); st != 200 || len(vs.Versions) != 1 {
		t.Errorf("versions: %d %+v (the same bytes twice make one version)", st, vs)
	}
}

// Two clients saving the same file at once: both are kept, as versions.
func TestDAVConcurrentPuts(t *testing.T) {
	srv := server.Start(t, server.Options{})
	bodies := [][]byte{bytes.Repeat([]byte("Marie "), 1<<20), bytes.Repeat([]byte("Paul "), 1<<20)}
	var wg sync.WaitGroup
	status := make([]int, 2)
	for i, b := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := admin(t, srv) // one client, one connection each
			resp := c.do("PUT", "/dav/budget.ods", bytes.NewReader(b), nil)
			resp.Body.Close()
			status[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	if status[0] >= 300 || status[1] >= 300 {
		t.Fatalf("statuses %v", status)
	}
	var vs struct {
		Versions []struct{ Sha256 string }
	}
	admin(t, srv).call("GET", "/api/v1/versions/budget.ods", nil, &vs)
	got := map[string]bool{}
	for _, v := range vs.Versions {
		got[v.Sha256] = true
	}
	if len(vs.Versions) != 2 || !got[sum(bodies[0])] || !got[sum(bodies[1])] {
		t.Errorf("versions %+v, want both uploads", vs.Versions)
	}
}

// A PUT cut off after half its body leaves the old content current, no new
// version, no new blob and no spool file; on a new path, nothing at all.
func TestDAVPutCutOffHalfway(t *testing.T) {
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	if resp := c.do("PUT", "/dav/existant.bin", strings.NewReader("ancien contenu"), nil); resp.StatusCode != 201 {
		t.Fatalf("first PUT: %d", resp.StatusCode)
	}
	before := blobKeys(t, srv)
	for _, path := range []string{"/dav/existant.bin", "/dav/nouveau.bin"} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		const size = 8 << 20
		fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nContent-Length: %d\r\n\r\n",
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
	resp := c.do("GET", "/dav/existant.bin", nil, nil)
	var got bytes.Buffer
	got.ReadFrom(resp.Body)
	resp.Body.Close()
	if got.String() != "ancien contenu" {
		t.Errorf("existing file now %q", got.String())
	}
	if resp := c.do("GET", "/dav/nouveau.bin", nil, nil); resp.StatusCode != 404 {
		t.Errorf("half-uploaded new file: %d", resp.StatusCode)
	}
	var vs struct{ Versions []any }
	if c.call("GET", "/api/v1/versions/existant.bin", nil, &vs); len(vs.Versions) != 1 {
		t.Errorf("%d versions of existant.bin, want 1", len(vs.Versions))
	}
	if after := blobKeys(t, srv); len(after) != len(before) {
		t.Errorf("blobs %v → %v", before, after)
	}
}

// Locks are stored in the database: a restart keeps them.
func TestDAVLocksSurviveRestart(t *testing.T) {
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	c.do("PUT", "/dav/ordre du jour.odt", strings.NewReader("v1"), nil).Body.Close()
	resp := c.do("LOCK", "/dav/ordre%20du%20jour.odt", strings.NewReader(`<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:">`+
		`<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>Marie</D:owner></D:lockinfo>`),
		map[string]string{"Timeout": "Second-3600"})
	resp.Body.Close()
	token := resp.Header.Get("Lock-Token")
	if resp.StatusCode != 200 || token == "" {
		t.Fatalf("LOCK: %d %q", resp.StatusCode, token)
	}
	srv.Stop()
	srv.Restart()
	for _, tt := range []struct {
		hdr    map[string]string
		status int
	}{
		{nil, 423},
		{map[string]string{"If": "(" + token + ")"}, 204},
	} {
		resp := c.do("PUT", "/dav/ordre%20du%20jour.odt", strings.NewReader("v2"), tt.hdr)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("PUT after restart with %v: %d, want %d", tt.hdr, resp.StatusCode, tt.status)
		}
	}
	resp = c.do("UNLOCK", "/dav/ordre%20du%20jour.odt", nil, map[string]string{"Lock-Token": token})
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Errorf("UNLOCK after restart: %d", resp.StatusCode)
	}
}

// Files written through WebDAV have versions, trash and tags in the API.
func TestDAVFilesInTheAPI(t *testing.T) {
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	for i, body := range []string{"budget v1", "budget v2"} {
		resp := c.do("PUT", "/dav/budget.txt", strings.NewReader(body), nil)
		resp.Body.Close()
		if want := []int{201, 204}[i]; resp.StatusCode != want {
			t.Fatalf("PUT %d: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	var vs struct{ Versions []any }
	if st := c.call("GET", "/api/v1/versions/budget.txt", nil, &vs); st != 200 || len(vs.Versions) != 2 {
		t.Errorf("versions: %d %+v", st, vs)
	}
	var n node
	if st := c.call("PUT", "/api/v1/tags/budget.txt", map[string]any{"tags": []string{"Trésorerie"}}, &n); st != 200 {
		t.Errorf("tag: %d", st)
	}
	c.do("DELETE", "/dav/budget.txt", nil, nil).Body.Close()
	var trash struct {
		Items []struct {
			ID           int64  `json:"id"`
			OriginalPath string `json:"original_path"`
		} `json:"items"`
	}
	c.call("GET", "/api/v1/trash", nil, &trash)
	if len(trash.Items) != 1 || trash.Items[0].OriginalPath != "/budget.txt" {
		t.Fatalf("trash: %+v", trash)
	}
	c.call("POST", fmt.Sprintf("/api/v1/trash/%d/restore", trash.Items[0].ID), nil, nil)
	resp := c.do("GET", "/dav/budget.txt", nil, nil)
	var got bytes.Buffer
	got.ReadFrom(resp.Body)
	resp.Body.Close()
	if got.String() != "budget v2" {
		t.Errorf("after restore: %d %q", resp.StatusCode, got.String())
	}
}
