package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

// writeRandom writes size pseudo-random bytes (incompressible, the same
// for a seed) and returns their SHA-256.
func writeRandom(t *testing.T, path string, size int64, seed uint64) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	r := rand.NewChaCha8([32]byte{byte(seed)})
	if _, err := io.CopyN(w, r, size); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// A large file goes up in chunks (chunked upload v2), the server's memory
// stays flat, and a sync cut halfway resumes from the chunks already
// received instead of starting again.
func TestSyncLargeFileChunkedResumed(t *testing.T) {
	// On S3 the chunks go to the bucket (uploads/), on disk to the spool.
	forEachBackend(t, func(t *testing.T, srv *server.Server) {
		size := int64(1 << 30)
		if testing.Short() {
			size = 120 << 20
		}
		const chunk = 10 << 20
		chunks := int((size + chunk - 1) / chunk)
		adm := admin(t, srv)
		nc := newSyncClient(t, srv, "nextcloudcmd", "admin", server.AdminPassword)
		// Fixed 10 MiB chunks (the app otherwise sizes them by speed: two
		// chunks on loopback), one transfer at a time.
		nc.env = []string{"OWNCLOUD_CHUNK_SIZE=10485760", "OWNCLOUD_TARGET_CHUNK_UPLOAD_DURATION=0", "OWNCLOUD_MAX_PARALLEL=1"}
		if err := os.MkdirAll(nc.local("Vidéos"), 0o755); err != nil {
			t.Fatal(err)
		}
		sum := writeRandom(t, nc.local("Vidéos/assemblée générale.mp4"), size, 7)

		// First run, cut once half the chunks are in.
		mark := len(srv.Output())
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cmd := nc.command(ctx)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Minute)
		for nc.since(mark).count("PUT", "/remote.php/dav/uploads/admin/") < chunks/2 {
			if time.Now().After(deadline) {
				t.Fatalf("no chunks after 5 minutes:\n%s", nc.since(mark))
			}
			time.Sleep(20 * time.Millisecond)
		}
		cmd.Process.Kill()
		cmd.Wait()
		first := nc.since(mark)
		sent := first.count("PUT", "/remote.php/dav/uploads/admin/")
		if first.count("MKCOL", "/remote.php/dav/uploads/admin/") != 1 {
			t.Fatalf("the upload did not start with MKCOL of an upload folder:\n%s", first)
		}
		if st, _ := serverStat(t, adm, "/Vidéos/assemblée générale.mp4"); st != 404 {
			t.Fatalf("a cut upload left a file: %d", st)
		}

		// Second run: the chunks already there are not sent again.
		second := nc.run()
		again := second.count("PUT", "/remote.php/dav/uploads/admin/")
		t.Logf("%d chunks of %d before the cut, %d after; server peak RSS %d MiB", sent, chunks, again, srv.PeakRSS()>>20)
		// Resumed: fewer chunks than the whole file, none of the first ones
		// again (which chunk was in flight at the cut varies with timing).
		if again == 0 || again >= chunks || second.count("PUT", "/0000000000000001") > 0 {
			t.Errorf("resumed with %d chunk PUTs after %d before the cut, for %d chunks:\n%s", again, sent, chunks, second)
		}
		if second.count("MOVE", "/.file") != 1 {
			t.Errorf("no MOVE of .file:\n%s", second)
		}
		if second.count("PUT", "/remote.php/dav/files/") != 0 {
			t.Errorf("the large file went up in one PUT:\n%s", second)
		}
		st, n := serverStat(t, adm, "/Vidéos/assemblée générale.mp4")
		if st != 200 || n.Hash != sum || n.Size != size {
			t.Fatalf("on the server: %d, %d bytes, sha256 %s; want %d bytes, %s", st, n.Size, n.Hash, size, sum)
		}
		if rss := srv.PeakRSS(); rss > 100<<20 {
			t.Errorf("server peak RSS %d MiB, want under 100", rss>>20)
		}
		// The upload folder is gone once assembled.
		if left, _ := filepath.Glob(filepath.Join(srv.Data, "*", "*", "uploads", "*", "*")); len(left) != 0 {
			t.Errorf("upload folders left: %v", left)
		}
	})
}
