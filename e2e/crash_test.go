package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"notreasso/internal/testutil/prose"
	"notreasso/internal/testutil/server"
)

// sourceTree writes n files in nested folders, the last twentieth copies
// of earlier ones, and returns their relative paths and content hashes.
func sourceTree(t *testing.T, n int) (string, map[string]string) {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{}
	distinct := n - n/20
	for i := 0; i < n; i++ {
		k := i % distinct
		r := rand.New(rand.NewPCG(uint64(k), 7))
		body := []byte(fmt.Sprintf("pièce %d\n%s", k, strings.Repeat("données ", r.IntN(2000))))
		rel := fmt.Sprintf("dossier %02d/sous-dossier %d/pièce %04d.txt", i%25, i%4, i)
		p := filepath.Join(root, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
		files[rel] = sum(body)
	}
	return root, files
}

// uploader saves files over the API until stopped or the server dies, and
// records every upload the server acknowledged: path → hashes.
func uploader(srv *server.Server, w int, stop <-chan struct{}, mu *sync.Mutex, acked map[string][]string, wg *sync.WaitGroup) {
	defer wg.Done()
	hc := &http.Client{Timeout: 30 * time.Second}
	r := rand.New(rand.NewPCG(uint64(w), 1))
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		path := fmt.Sprintf("/Envois/w%d/fichier %d.txt", w, r.IntN(12)) // often the same path: new versions
		body := []byte(fmt.Sprintf("envoi %d de %d\n%s", i, w, strings.Repeat("x", r.IntN(200000))))
		req, _ := http.NewRequest("PUT", srv.URL+"/api/v1/files/"+escapePath(path), bytes.NewReader(body))
		req.SetBasicAuth("admin", server.AdminPassword)
		resp, err := hc.Do(req)
		if err != nil {
			return // the server is gone
		}
		var n node
		json.NewDecoder(resp.Body).Decode(&n)
		resp.Body.Close()
		if (resp.StatusCode == 200 || resp.StatusCode == 201) && n.Hash == sum(body) {
			mu.Lock()
			acked[path] = append(acked[path], n.Hash)
			mu.Unlock()
		}
	}
}

func mkdirParents(c *client, path string) {
	c.call("POST", "/api/v1/folders/"+escapePath(path)+"?parents=1", nil, nil)
}

// kill -9 of the server during a bulk import and uploads (and of the
// import itself, as a power cut would): after a restart, check finds no
// inconsistency, every acknowledged upload is there, and the import
// resumes to completion.
func TestKillDuringImportAndUploads(t *testing.T) {
	forEachBackend(t, func(t *testing.T, srv *server.Server) {
		ctx := context.Background()
		c := admin(t, srv)
		src, files := sourceTree(t, 1500)
		for w := 0; w < 3; w++ {
			mkdirParents(c, fmt.Sprintf("/Envois/w%d", w))
		}
		var mu sync.Mutex
		acked := map[string][]string{}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 3; w++ {
			wg.Add(1)
			go uploader(srv, w, stop, &mu, acked, &wg)
		}
		// Uploads flow first, then the import starts: the kill must come
		// in the middle of the import whatever the machine's speed (on a
		// fast one the whole import can finish while slow uploads warm up).
		deadline := time.Now().Add(2 * time.Minute)
		for time.Now().Before(deadline) {
			mu.Lock()
			n := len(acked)
			mu.Unlock()
			if n >= 3 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		imp := srv.Command(ctx, "import", src, "--into", "/Import")
		var impOut bytes.Buffer
		imp.Stdout, imp.Stderr = &impOut, &impOut
		if err := imp.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill once the import has stored some files.
		for time.Now().Before(deadline) {
			var l struct{ Children []node }
			c.call("GET", "/api/v1/list/Import/"+escapePath("dossier 00/sous-dossier 0"), nil, &l)
			if len(l.Children) >= 5 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		srv.Kill()
		imp.Process.Kill()
		imp.Wait()
		close(stop)
		wg.Wait()

		srv.Restart()
		if out, err := srv.Run(ctx, nil, "check"); err != nil || !strings.Contains(out, "OK: no inconsistency") {
			t.Fatalf("check after kill -9: %v\n%s", err, out)
		}
		versions := 0
		for path, hashes := range acked {
			var vs struct {
				Versions []struct {
					Hash string `json:"sha256"`
				} `json:"versions"`
			}
			if st := c.call("GET", "/api/v1/versions/"+escapePath(path), nil, &vs); st != 200 {
				t.Errorf("acknowledged %s: %d after restart", path, st)
				continue
			}
			have := map[string]bool{}
			for _, v := range vs.Versions {
				have[v.Hash] = true
			}
			for _, h := range hashes {
				versions++
				if !have[h] {
					t.Errorf("acknowledged upload of %s (%s) lost", path, h[:12])
				}
			}
		}
		imported := countFiles(t, c, "/Import")
		if imported == 0 || imported >= len(files) {
			t.Errorf("%d of %d files imported when killed: the kill was not during the import\n%s", imported, len(files), impOut.String())
		}
		out, err := srv.Run(ctx, nil, "import", src, "--into", "/Import")
		if err != nil || !strings.Contains(out, "imported by an earlier run") {
			t.Fatalf("resumed import: %v\n%s", err, out)
		}
		for rel, h := range files {
			var n node
			if st := c.call("GET", "/api/v1/stat/Import/"+escapePath(rel), nil, &n); st != 200 || n.Hash != h {
				t.Errorf("%s after the resumed import: %d %s", rel, st, n.Hash)
			}
		}
		if out, err := srv.Run(ctx, nil, "check"); err != nil || !strings.Contains(out, "OK: no inconsistency") {
			t.Fatalf("check after the resumed import: %v\n%s", err, out)
		}
		t.Logf("killed with %d of %d files imported and %d acknowledged uploads (%d paths); all there after restart", imported, len(files), versions, len(acked))
	})
}

// countFiles counts the files below a folder through the API.
func countFiles(t *testing.T, c *client, dir string) int {
	var l struct{ Children []node }
	if st := c.call("GET", "/api/v1/list/"+escapePath(dir), nil, &l); st != 200 {
		return 0
	}
	n := 0
	for _, k := range l.Children {
		if k.Type == "dir" {
			n += countFiles(t, c, k.Path)
		} else {
			n++
		}
	}
	return n
}

// TestKillDuringIndexBuild: a server killed while it builds a new index
// (here the index was deleted) leaves a new, empty generation behind; the
// next start must build it again instead of trusting the journal cursor of
// the index it replaced, which would leave search empty for good.
func TestKillDuringIndexBuild(t *testing.T) {
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	g, r := prose.New(11), rand.New(rand.NewPCG(11, 29))
	const n = 600
	c.call("POST", "/api/v1/folders/cr", nil, nil)
	for i := range n {
		body := fmt.Sprintf("Compte rendu cr%04d.\n%s", i, g.Text(r, "fr", 8000))
		if st, _ := c.put(fmt.Sprintf("/cr/cr%04d.txt", i), []byte(body)); st != 201 {
			t.Fatalf("upload %d: status %d", i, st)
		}
	}
	waitFound(t, c, fmt.Sprintf("cr%04d", n-1), fmt.Sprintf("/cr/cr%04d.txt", n-1))
	srv.Stop()
	if err := os.RemoveAll(filepath.Join(srv.Data, "index")); err != nil {
		t.Fatal(err)
	}
	before := len(srv.Output()) // the log of this start only
	srv.Restart()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(srv.Output()[before:], "search index rebuild started") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	srv.Kill()
	<-srv.Exited()
	if out := srv.Output()[before:]; !strings.Contains(out, "search index rebuild started") || strings.Contains(out, "search index built") {
		t.Fatalf("the premise failed: the server was not killed in the middle of the build\n%s", out[max(0, len(out)-2000):])
	}

	srv.Restart()
	c = admin(t, srv)
	for _, i := range []int{0, n / 2, n - 1} {
		waitFound(t, c, fmt.Sprintf("cr%04d", i), fmt.Sprintf("/cr/cr%04d.txt", i))
	}
	if st, res := c.search("compte rendu"); st != 200 || res.Total != n {
		t.Errorf("after the interrupted build: %d results (status %d), want %d", res.Total, st, n)
	}
}
