package e2e

import (
	"context"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

func TestUserCommands(t *testing.T) {
	srv := server.Start(t, server.Options{})
	ctx := context.Background()
	out, err := srv.Run(ctx, strings.NewReader("mot-de-passe-de-marie\n"), "user", "add", "marie", "--password-stdin")
	if err != nil || !strings.Contains(out, "created marie (member)") {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	out, err = srv.Run(ctx, nil, "user", "add", "paul", "--guest")
	if err != nil || !strings.Contains(out, "password: ") {
		t.Fatalf("user add with generated password: %v\n%s", err, out)
	}
	pw := strings.TrimSpace(out[strings.Index(out, "password: ")+len("password: "):])
	if st := newClient(t, srv, "paul", pw).call("GET", "/api/v1/me", nil, nil); st != 200 {
		t.Errorf("generated password refused: %d", st)
	}
	if _, err := srv.Run(ctx, nil, "user", "add", "marie"); err == nil {
		t.Error("duplicate login accepted")
	}
	if st := newClient(t, srv, "marie", "mot-de-passe-de-marie").call("GET", "/api/v1/list/", nil, nil); st != 200 {
		t.Errorf("marie cannot list: %d", st)
	}
	// Checked twice: the server remembers the check (and, on SQLite,
	// trusts it while the stamp beside the database is unchanged).
	old := newClient(t, srv, "marie", "mot-de-passe-de-marie")
	for range 2 {
		if st := old.call("GET", "/api/v1/me", nil, nil); st != 200 {
			t.Fatalf("marie's password refused: %d", st)
		}
	}
	if out, err := srv.Run(ctx, strings.NewReader("nouveau-mot-de-passe"), "user", "passwd", "marie", "--password-stdin"); err != nil {
		t.Fatalf("passwd: %v\n%s", err, out)
	}
	// A change made by another process counts at the server's next request:
	// the old password is refused at once, the new one works.
	if st := old.call("GET", "/api/v1/me", nil, nil); st != 401 {
		t.Errorf("the old password after user passwd from the command line: %d, want 401", st)
	}
	if st := newClient(t, srv, "marie", "nouveau-mot-de-passe").call("GET", "/api/v1/me", nil, nil); st != 200 {
		t.Errorf("new password refused: %d", st)
	}
	if st := newClient(t, srv, "paul", pw).call("GET", "/api/v1/me", nil, nil); st != 200 {
		t.Errorf("paul's password refused before he is disabled: %d", st)
	}
	if out, err := srv.Run(ctx, nil, "user", "disable", "paul"); err != nil {
		t.Fatalf("disable: %v\n%s", err, out)
	}
	if st := newClient(t, srv, "paul", pw).call("GET", "/api/v1/me", nil, nil); st != 401 {
		t.Errorf("a disabled account's password: %d, want 401", st)
	}
	out, err = srv.Run(ctx, nil, "user", "list")
	if err != nil || !strings.Contains(out, "paul") || !strings.Contains(out, "disabled") || !strings.Contains(out, "admin") {
		t.Fatalf("user list: %v\n%s", err, out)
	}
	if out, err := srv.Run(ctx, nil, "version"); err != nil || !strings.HasPrefix(out, "notreasso ") {
		t.Errorf("version: %v %q", err, out)
	}
}

// SIGTERM while an upload is in flight: the upload finishes within the
// grace period, is acknowledged, and the process exits cleanly.
func TestShutdownLetsUploadsFinish(t *testing.T) {
	srv := server.Start(t, server.Options{Env: []string{"NOTREASSO_SHUTDOWN_GRACE=20s"}})
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("PUT", srv.URL+"/api/v1/files/gros.bin", pr)
	req.SetBasicAuth("admin", server.AdminPassword)
	req.ContentLength = 4 << 20
	done := make(chan *http.Response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("upload: %v", err)
		}
		done <- resp
	}()
	chunk := strings.Repeat("x", 1<<20)
	io.WriteString(pw, chunk)
	waitMetric(t, srv, "notreasso_uploads_in_flight", nil, func(v float64) bool { return v >= 1 })
	srv.Cmd.Process.Signal(syscall.SIGTERM)
	waitOutput(t, srv, "shutting down")
	for i := 0; i < 3; i++ {
		io.WriteString(pw, chunk)
	}
	pw.Close()
	resp := <-done
	if resp == nil || resp.StatusCode != 201 {
		t.Fatalf("upload during shutdown: %v", resp)
	}
	select {
	case <-srv.Exited():
	case <-time.After(25 * time.Second):
		t.Fatal("server did not exit after SIGTERM")
	}
	if code := srv.Cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d", code)
	}
	srv.Restart()
	var n node
	if st := admin(t, srv).call("GET", "/api/v1/stat/gros.bin", nil, &n); st != 200 || n.Size != 4<<20 {
		t.Errorf("after restart: %d %+v", st, n)
	}
}

// A client that stalls past the grace period is cut off: the server exits,
// and the half-received upload leaves nothing behind.
func TestShutdownCutsStalledUploads(t *testing.T) {
	srv := server.Start(t, server.Options{Env: []string{"NOTREASSO_SHUTDOWN_GRACE=1s"}})
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequest("PUT", srv.URL+"/api/v1/files/coupé.bin", pr)
	req.SetBasicAuth("admin", server.AdminPassword)
	req.ContentLength = 4 << 20
	go http.DefaultClient.Do(req)
	io.WriteString(pw, strings.Repeat("x", 1<<20))
	waitMetric(t, srv, "notreasso_uploads_in_flight", nil, func(v float64) bool { return v >= 1 })
	srv.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-srv.Exited():
	case <-time.After(15 * time.Second):
		t.Fatal("server did not exit after the grace period")
	}
	srv.Restart()
	if st := admin(t, srv).call("GET", "/api/v1/stat/coup%C3%A9.bin", nil, nil); st != 404 {
		t.Errorf("half upload visible after restart: %d", st)
	}
	if f := spoolFiles(srv); len(f) != 0 {
		t.Errorf("spool files after restart: %v", f)
	}
}

// TestDataDirectoryIsLocked: a second server, or a command that needs the
// server stopped, refuses a data directory in use (two writers would
// corrupt the search index); ordinary commands still run next to the
// server; once it stops, reindex rebuilds the index and the restarted
// server finds the documents through the rebuilt index.
func TestDataDirectoryIsLocked(t *testing.T) {
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	c.put("/pv-verrou.txt", []byte("Le cadenas du local associatif a été changé."))
	waitFound(t, c, "cadenas", "/pv-verrou.txt")
	ctx := context.Background()

	// Without the lock the second server would run: the timeout ends it.
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	second := srv.Command(sctx, "serve", "--addr", "127.0.0.1:0")
	out, err := second.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "is in use by another notreasso process") {
		t.Errorf("a second server on the same data directory: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"reindex"}, {"restore", t.TempDir()}} {
		out, err := srv.Run(ctx, nil, args...)
		if err == nil || !strings.Contains(out, "is in use by another notreasso process") {
			t.Errorf("%s while the server runs: %v\n%s", args[0], err, out)
		}
	}
	if out, err := srv.Run(ctx, nil, "user", "list"); err != nil {
		t.Errorf("user list next to the server: %v\n%s", err, out)
	}

	srv.Stop()
	if out, err := srv.Run(ctx, nil, "reindex"); err != nil || !strings.Contains(out, "index rebuilt: 1 files visited") {
		t.Fatalf("reindex with the server stopped: %v\n%s", err, out)
	}
	srv.Restart()
	waitFound(t, admin(t, srv), "cadenas", "/pv-verrou.txt")
}

// waitOutput waits until the server's log says what.
func waitOutput(t *testing.T, srv *server.Server, what string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(srv.Output(), what) {
		if time.Now().After(deadline) {
			t.Fatalf("the server never logged %q", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
