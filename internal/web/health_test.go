package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notreasso/internal/auth"
	"notreasso/internal/config"
	"notreasso/internal/meta"
	"notreasso/internal/repo"
	"notreasso/internal/testutil/testdb"
	blobfs "notreasso/storage/fs"
)

// newTestServer builds the server on a real SQLite file and local store.
func newTestServer(t *testing.T, logs *bytes.Buffer) *Server {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	log := slog.New(LogHandler(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	db, err := meta.Open(ctx, testdb.DSN(t, dir), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	blobs, err := blobfs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.New(db, blobs, repo.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Data = dir
	return New(Deps{Config: cfg, DB: db, Repo: r, Auth: auth.New(db, log), Blobs: blobs, Logger: log, Version: "test"})
}

type readyAnswer struct {
	Ready  bool              `json:"ready"`
	Checks map[string]string `json:"checks"`
}

func getReady(t *testing.T, s *Server) (int, readyAnswer) {
	t.Helper()
	resp, err := s.App().Test(httptest.NewRequest("GET", "/readyz", nil), int((readyTimeout + 5*time.Second).Milliseconds()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a readyAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, a
}

func TestReadyChecks(t *testing.T) {
	s := newTestServer(t, &bytes.Buffer{})
	if st, a := getReady(t, s); st != 200 || !a.Ready || a.Checks["database"] != "ok" || a.Checks["storage"] != "ok" {
		t.Fatalf("fresh server: %d %+v", st, a)
	}
	indexErr := errors.New("index is being rebuilt")
	s.AddReadyCheck("index", func(context.Context) error { return indexErr })
	if st, a := getReady(t, s); st != 503 || a.Ready || a.Checks["index"] != indexErr.Error() || a.Checks["database"] != "ok" {
		t.Fatalf("failing index check: %d %+v", st, a)
	}
	s.AddReadyCheck("index", func(context.Context) error { return nil }) // same name replaces
	if st, a := getReady(t, s); st != 200 || len(a.Checks) != 3 {
		t.Fatalf("replaced index check: %d %+v", st, a)
	}
	s.AddReadyCheck("stuck", func(context.Context) error { select {} })
	s.AddReadyCheck("panics", func(context.Context) error { panic("boom") })
	start := time.Now()
	st, a := getReady(t, s)
	if st != 503 || !strings.Contains(a.Checks["stuck"], "no answer") || !strings.Contains(a.Checks["panics"], "boom") {
		t.Fatalf("stuck and panicking checks: %d %+v", st, a)
	}
	if took := time.Since(start); took > readyTimeout+2*time.Second {
		t.Errorf("readyz took %v with a stuck check", took)
	}
}

// Lines logged with a request's context carry its id, and so does the
// response header, so a user's report can be matched to the log.
func TestRequestIDInLogs(t *testing.T) {
	var logs bytes.Buffer
	s := newTestServer(t, &logs)
	resp, err := s.App().Test(httptest.NewRequest("GET", "/api/v1/stat/missing", nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Header.Get("X-Request-Id")
	if id == "" {
		t.Fatal("no X-Request-Id header")
	}
	found := false
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["msg"] == "request" {
			found = rec["request_id"] == id && rec["path"] == "/api/v1/stat/missing"
		}
	}
	if !found {
		t.Errorf("no request line with request_id %s:\n%s", id, logs.String())
	}
	ctx := WithRequestID(context.Background(), "abc")
	logs.Reset()
	s.log.InfoContext(ctx, "deep in the repository")
	if !strings.Contains(logs.String(), `"request_id":"abc"`) {
		t.Errorf("context request id not logged: %s", logs.String())
	}
}

func TestMain(m *testing.M) { testdb.Main(m) }
