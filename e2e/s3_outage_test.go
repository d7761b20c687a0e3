package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

// streamUpload PUTs size pseudo-random bytes (seeded, so the same call sends
// the same content) produced on the fly through an io.Pipe, calling
// beforeLast just before the last MiB is sent. It returns the status, the
// decoded answer (node or error) and the content's SHA-256.
func streamUpload(t *testing.T, c *client, path string, size int64, seed uint64, beforeLast func()) (int, []byte, string) {
	t.Helper()
	pr, pw := io.Pipe()
	h := sha256.New()
	go func() {
		rng := rand.NewChaCha8([32]byte{byte(seed)})
		buf := make([]byte, 1<<20)
		for sent := int64(0); sent < size; {
			n := min(int64(len(buf)), size-sent)
			rng.Read(buf[:n])
			if sent+n == size && beforeLast != nil {
				beforeLast()
			}
			h.Write(buf[:n])
			if _, err := pw.Write(buf[:n]); err != nil {
				return
			}
			sent += n
		}
		pw.Close()
	}()
	req, err := http.NewRequest("PUT", c.base+"/api/v1/files/"+escapePath(path), pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	req.SetBasicAuth(c.user, c.pass)
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("PUT %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	pr.CloseWithError(io.ErrClosedPipe) // unblock the generator if the server answered early
	t.Logf("PUT %s: %d in %s", path, resp.StatusCode, time.Since(start).Round(time.Millisecond))
	return resp.StatusCode, body, hex.EncodeToString(h.Sum(nil))
}

func status(t *testing.T, url string) int {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestS3DownDuringUpload kills the S3 server while a 64 MiB upload is in
// flight. The server spools the whole body before sending it to S3, and
// S3 dies before the last MiB arrives, so the S3 transfer is what fails,
// every time. The client must get a clear 503, nothing may be recorded,
// the server must stay up and say it is not ready; once S3 is back, the
// same upload succeeds.
func TestS3DownDuringUpload(t *testing.T) {
	srv := server.Start(t, server.Options{Backend: "s3"})
	c := admin(t, srv)
	old := []byte("version 1 of an existing file")
	if st, _ := c.put("/existing.bin", old); st != 201 {
		t.Fatalf("put existing: %d", st)
	}
	// A fresh server builds its (empty) search index first: ready soon.
	waitReady(t, srv, 200, 30*time.Second)
	const size = 64 << 20

	seeds := map[string]uint64{"/big.bin": 7, "/existing.bin": 8} // different contents: no deduplication
	for _, path := range []string{"/big.bin", "/existing.bin"} {
		if !srv.S3.Running() {
			srv.S3.Start()
		}
		st, body, _ := streamUpload(t, c, path, size, seeds[path], srv.S3.Kill)
		var e apiErr
		json.Unmarshal(body, &e)
		if st != http.StatusServiceUnavailable || e.Error.Code != "storage_unavailable" ||
			!strings.Contains(e.Error.Message, "storage cannot be reached") {
			t.Fatalf("%s with S3 down: %d %s; want 503 storage_unavailable with a message", path, st, body)
		}
		t.Logf("%s with S3 down: %d %s", path, st, body)
		if strings.Contains(e.Error.Message, srv.S3.Endpoint) {
			t.Errorf("the message leaks the S3 address: %q", e.Error.Message)
		}
	}

	// Nothing recorded: the new file does not exist, the old one is unchanged.
	if st := c.call("GET", "/api/v1/stat/big.bin", nil, nil); st != 404 {
		t.Errorf("stat big.bin after the failed upload: %d, want 404", st)
	}
	var vs struct{ Versions []node }
	if st := c.call("GET", "/api/v1/versions/existing.bin", nil, &vs); st != 200 || len(vs.Versions) != 1 {
		t.Errorf("versions of existing.bin: %d, %d versions, want 1", st, len(vs.Versions))
	}
	// Alive but not ready; the process did not die.
	if st := status(t, srv.URL+"/healthz"); st != 200 {
		t.Errorf("healthz with S3 down: %d", st)
	}
	if st := status(t, srv.URL+"/readyz"); st != 503 {
		t.Errorf("readyz with S3 down: %d, want 503", st)
	}
	select {
	case <-srv.Exited():
		t.Fatalf("the server exited")
	default:
	}

	// S3 comes back: ready again, and the same uploads succeed.
	srv.S3.Start()
	deadline := time.Now().Add(20 * time.Second)
	for status(t, srv.URL+"/readyz") != 200 {
		if time.Now().After(deadline) {
			t.Fatal("readyz did not return to 200 after S3 restarted")
		}
		time.Sleep(200 * time.Millisecond)
	}
	var want, bigSum string
	for _, tc := range []struct {
		path    string
		status  int
		version int
	}{{"/big.bin", 201, 1}, {"/existing.bin", 200, 2}} {
		var st int
		var body []byte
		st, body, want = streamUpload(t, c, tc.path, size, seeds[tc.path], nil)
		var n node
		json.Unmarshal(body, &n)
		if st != tc.status || n.Hash != want || n.Size != size || n.Version != tc.version {
			t.Fatalf("%s after S3 restart: %d %s; want %d, version %d, sha256 %s", tc.path, st, body, tc.status, tc.version, want)
		}
		if tc.path == "/big.bin" {
			bigSum = want
		}
	}
	// Read back through the server, from S3.
	resp := c.do("GET", "/api/v1/files/big.bin", nil, nil)
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	resp.Body.Close()
	if got := hex.EncodeToString(h.Sum(nil)); err != nil || n != size || got != bigSum {
		t.Fatalf("download: %d bytes, sha256 %s, %v; want %s", n, got, err, bigSum)
	}
	if f := spoolFiles(srv); len(f) > 0 {
		t.Errorf("spool files left: %v", f)
	}
}
