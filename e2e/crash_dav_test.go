package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

// kill -9 of the server while sync-app-like clients send small files over
// WebDAV, each on one kept-alive connection: after a restart every file
// the server acknowledged is there with its content, and check finds
// nothing wrong. Run with the default durability (nothing is flushed to
// the disk per upload: the operating system keeps what a killed process
// wrote) and with durability power (every upload flushed).
func TestKillDuringSmallDAVUploads(t *testing.T) {
	for _, durability := range []string{"process", "power"} {
		t.Run(durability, func(t *testing.T) {
			t.Parallel()
			srv := server.Start(t, server.Options{Env: []string{"NOTREASSO_DURABILITY=" + durability}})
			c := admin(t, srv)
			for w := range 3 {
				mkdirParents(c, fmt.Sprintf("/petits %d", w))
			}
			var mu sync.Mutex
			acked := map[string]string{} // path → SHA-256 of the acknowledged body
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for w := range 3 {
				wg.Go(func() { smallUploader(srv, w, stop, &mu, acked) })
			}
			deadline := time.Now().Add(2 * time.Minute)
			for {
				mu.Lock()
				n := len(acked)
				mu.Unlock()
				if n >= 150 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("only %d uploads acknowledged in 2 minutes", n)
				}
				time.Sleep(20 * time.Millisecond)
			}
			srv.Kill()
			<-srv.Exited()
			close(stop)
			wg.Wait()

			srv.Restart()
			ctx := context.Background()
			if out, err := srv.Run(ctx, nil, "check"); err != nil || !strings.Contains(out, "OK: no inconsistency") {
				t.Fatalf("check after kill -9: %v\n%s", err, out)
			}
			for path, want := range acked {
				req, _ := http.NewRequest("GET", srv.URL+"/dav/"+escapePath(strings.TrimPrefix(path, "/")), nil)
				req.SetBasicAuth("admin", server.AdminPassword)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				h := sha256.New()
				io.Copy(h, resp.Body)
				resp.Body.Close()
				if got := hex.EncodeToString(h.Sum(nil)); resp.StatusCode != 200 || got != want {
					t.Errorf("acknowledged %s: status %d, content %.12s, want %.12s", path, resp.StatusCode, got, want)
				}
			}
			t.Logf("killed after %d acknowledged small uploads; all there after the restart", len(acked))
		})
	}
}

// smallUploader PUTs new small files (1–37 KB) over /dav/ on one kept-alive
// connection until stopped or the server dies, recording what the server
// acknowledged.
func smallUploader(srv *server.Server, w int, stop <-chan struct{}, mu *sync.Mutex, acked map[string]string) {
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 1}}
	r := rand.New(rand.NewPCG(uint64(w), 17))
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		body := make([]byte, 1000+r.IntN(36_000))
		for j := range body {
			body[j] = byte(r.Uint32())
		}
		path := fmt.Sprintf("/petits %d/pièce %05d.dat", w, i)
		req, _ := http.NewRequest("PUT", srv.URL+"/dav/"+escapePath(strings.TrimPrefix(path, "/")), bytes.NewReader(body))
		req.SetBasicAuth("admin", server.AdminPassword)
		resp, err := hc.Do(req)
		if err != nil {
			return // the server is gone
		}
		resp.Body.Close()
		if resp.StatusCode == 201 {
			mu.Lock()
			acked[path] = sum(body)
			mu.Unlock()
		}
	}
}
