package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startImport runs `notreasso import` with a progress bar and returns once
// the source tree is scanned and the first file stored.
func startImport(t *testing.T, srv *server.Server, src, into string) (*exec.Cmd, *lockedBuffer, <-chan error) {
	t.Helper()
	cmd := srv.Command(context.Background(), "import", src, "--into", into, "--workers", "1", "--progress")
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(out.String(), "importing") {
		if time.Now().After(deadline) {
			t.Fatalf("import did not start:\n%s", out.String())
		}
		select {
		case err := <-done:
			t.Fatalf("import ended before the test could act (%v):\n%s", err, out.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	return cmd, out, done
}

// Files swapped after import's scan, before it opens them: a symbolic link
// to a file outside the tree, and a named pipe. The link is not followed,
// the pipe does not block the import, both are reported as skipped.
func TestImportSwappedAfterScan(t *testing.T) {
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	src, _ := sourceTree(t, 400)
	secret := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(secret, []byte("mot de passe de la banque"), 0o600); err != nil {
		t.Fatal(err)
	}
	// "zz" is listed, and so imported, after the 400 files of the tree.
	bait := filepath.Join(src, "zz")
	os.MkdirAll(bait, 0o755)
	for _, n := range []string{"lien.txt", "tube.txt"} {
		if err := os.WriteFile(filepath.Join(bait, n), []byte("anodin"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	began := time.Now()
	_, out, done := startImport(t, srv, src, "/Import")
	t.Logf("scanned after %s", time.Since(began))
	os.Remove(filepath.Join(bait, "lien.txt"))
	os.Remove(filepath.Join(bait, "tube.txt"))
	if err := os.Symlink(secret, filepath.Join(bait, "lien.txt")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(bait, "tube.txt"), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("import: %v\n%s", err, out.String())
		}
		t.Logf("import done after %s", time.Since(began))
	case <-time.After(2 * time.Minute):
		t.Fatalf("import still running two minutes on (blocked on the pipe?):\n%s", tail(out.String(), 2000))
	}
	report := out.String()
	for _, want := range []string{"zz/lien.txt: replaced since the scan", "zz/tube.txt: not a regular file"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, tail(report, 2000))
		}
	}
	for _, p := range []string{"/Import/zz/lien.txt", "/Import/zz/tube.txt"} {
		if st, body, _ := c.get(escapePath(p), nil); st != 404 {
			t.Errorf("%s: %d %q: a file swapped after the scan was imported", p, st, body)
		}
	}
}

// SIGTERM stops an import within seconds, says how to resume, and running
// the same command again finishes the job.
func TestImportStopsOnSIGTERM(t *testing.T) {
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	src, files := sourceTree(t, 400)
	cmd, out, done := startImport(t, srv, src, "/Import")
	cmd.Process.Signal(syscall.SIGTERM)
	start := time.Now()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || !strings.Contains(out.String(), "import interrupted") {
			t.Fatalf("import after SIGTERM: %v\n%s", err, tail(out.String(), 2000))
		}
		t.Logf("import stopped %s after SIGTERM", time.Since(start).Round(time.Millisecond))
	case <-time.After(5 * time.Second):
		t.Fatalf("import still running 5 s after SIGTERM:\n%s", tail(out.String(), 2000))
	}
	if n := countFiles(t, c, "/Import"); n == 0 || n >= len(files) {
		t.Errorf("%d of %d files imported when stopped: SIGTERM was not during the import", n, len(files))
	}
	res, err := srv.Run(context.Background(), nil, "import", src, "--into", "/Import")
	if err != nil || !strings.Contains(res, "imported by an earlier run") {
		t.Fatalf("resumed import: %v\n%s", err, res)
	}
	if n := countFiles(t, c, "/Import"); n != len(files) {
		t.Errorf("%d of %d files after the resumed import", n, len(files))
	}
}
