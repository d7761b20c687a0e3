package e2e

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

// WebDAV benchmarks against the real binary. Each reports the server's
// peak resident memory (peak-RSS-MB: the whole process, the figure the
// 64 MB target is about) and how much the measured operations added to the
// idle server (RSS-growth-MB). A 1 GiB transfer fails the benchmark if it
// adds 16 MiB or more: streaming must not depend on the file size. The
// idle server's own size (code, SQLite) is about 42 MiB; the 19 MiB work
// area of the first login's argon2id hash is handed back to the system a
// quarter of a second after the hash (internal/auth/memory.go). Run them
// with
//
//	go test ./e2e -run '^$' -bench BenchmarkDAV -benchtime 1x
//
// (docs/benchmarks.md has the figures and the exact command.)

const gib = 1 << 30

// maxStreamRSS is the memory a 1 GiB transfer may add to the idle server.
const maxStreamRSS = 16 << 20

func BenchmarkDAVPut1GiB(b *testing.B) {
	srv := server.Start(b, server.Options{})
	warmUp(b, srv)
	resetPeakRSS(b, srv)
	b.SetBytes(gib)
	b.ResetTimer()
	for i := range b.N {
		if st := davPut(b, srv, fmt.Sprintf("/dav/gros-%d.bin", i), uint64(i), gib); st != 201 {
			b.Fatalf("PUT: %d", st)
		}
	}
	b.StopTimer()
	reportRSS(b, srv, maxStreamRSS)
}

func BenchmarkDAVGet1GiB(b *testing.B) {
	srv := server.Start(b, server.Options{})
	warmUp(b, srv)
	if st := davPut(b, srv, "/dav/gros.bin", 1, gib); st != 201 {
		b.Fatalf("PUT: %d", st)
	}
	resetPeakRSS(b, srv)
	b.SetBytes(gib)
	b.ResetTimer()
	for range b.N {
		resp := admin(b, srv).do("GET", "/dav/gros.bin", nil, nil)
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n != gib || err != nil {
			b.Fatalf("GET: %d, %d bytes, %v", resp.StatusCode, n, err)
		}
	}
	b.StopTimer()
	reportRSS(b, srv, maxStreamRSS)
}

// BenchmarkDAVPropfindDepth1_10000 lists a folder of 10 000 files with the
// properties file managers ask for. The files are made with server-side
// COPY (metadata only) so that setting up takes seconds, not minutes.
func BenchmarkDAVPropfindDepth1_10000(b *testing.B) {
	const files = 10000
	srv := server.Start(b, server.Options{})
	c := admin(b, srv)
	c.do("MKCOL", "/dav/Archives", nil, nil).Body.Close()
	if st := davPut(b, srv, "/dav/Archives/modèle.odt", 2, 20000); st != 201 {
		b.Fatalf("PUT: %d", st)
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := admin(b, srv)
			for i := range jobs {
				resp := c.do("COPY", "/dav/Archives/mod%C3%A8le.odt", nil, map[string]string{"Destination": fmt.Sprintf("/dav/Archives/pièce-%05d.odt", i)})
				resp.Body.Close()
				if resp.StatusCode != 201 {
					b.Errorf("COPY %d: %d", i, resp.StatusCode)
				}
			}
		}()
	}
	for i := 1; i < files; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	body := `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getcontentlength/>` +
		`<D:getlastmodified/><D:getetag/><D:getcontenttype/><D:displayname/></D:prop></D:propfind>`
	resetPeakRSS(b, srv)
	b.ResetTimer()
	for range b.N {
		resp := c.do("PROPFIND", "/dav/Archives/", strings.NewReader(body), map[string]string{"Depth": "1"})
		out, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if n := strings.Count(string(out), "<D:response>"); resp.StatusCode != 207 || n != files+1 || err != nil {
			b.Fatalf("PROPFIND: %d, %d responses, %v", resp.StatusCode, n, err)
		}
	}
	b.StopTimer()
	reportRSS(b, srv, 0)
}

// davPut uploads size pseudo-random bytes (distinct per seed), streamed.
func davPut(b *testing.B, srv *server.Server, path string, seed uint64, size int64) int {
	b.Helper()
	var key [32]byte
	key[0] = byte(seed)
	req, err := http.NewRequest("PUT", srv.URL+path, io.LimitReader(rand.NewChaCha8(key), size))
	if err != nil {
		b.Fatal(err)
	}
	req.ContentLength = size
	req.SetBasicAuth("admin", server.AdminPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// warmUp logs in once, so the password hash (19 MiB for argon2id) is part
// of the baseline rather than of the measured transfer.
func warmUp(b *testing.B, srv *server.Server) {
	resp := admin(b, srv).do("PROPFIND", "/dav/", nil, map[string]string{"Depth": "0"})
	resp.Body.Close()
	time.Sleep(time.Second) // the server at rest: the login's hash released
}

// baseRSS is the server's resident memory when the measure starts.
var baseRSS = map[*server.Server]int64{}

// resetPeakRSS restarts the kernel's high-water mark of the server's
// resident memory (Linux: writing 5 to clear_refs) so that set-up does not
// count, and notes the resident memory at that point.
func resetPeakRSS(b *testing.B, srv *server.Server) {
	path := fmt.Sprintf("/proc/%d/clear_refs", srv.Cmd.Process.Pid)
	if err := os.WriteFile(path, []byte("5"), 0); err != nil {
		b.Logf("cannot reset the peak RSS (%v): the figure includes the set-up", err)
	}
	time.Sleep(10 * time.Millisecond)
	baseRSS[srv] = srv.PeakRSS()
}

// reportRSS reports the whole process's peak (peak-RSS-MB) and how much of
// it the measured operations added to the idle server (RSS-growth-MB, on
// which the limit applies).
func reportRSS(b *testing.B, srv *server.Server, limit int64) {
	rss := srv.PeakRSS()
	growth := rss - baseRSS[srv]
	b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MB")
	b.ReportMetric(float64(growth)/(1<<20), "RSS-growth-MB")
	if limit > 0 && growth >= limit {
		b.Errorf("the transfer added %d MiB to the server's memory (peak %d MiB); the limit is %d MiB", growth>>20, rss>>20, limit>>20)
	}
}
