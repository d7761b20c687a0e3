// Package server builds the real notreasso binary once per test process and
// starts it on a free loopback port with a fresh data directory, so
// end-to-end tests talk to exactly what users run.
package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"notreasso/internal/testutil/tier"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"notreasso/internal/testutil/s3server"
	"notreasso/internal/testutil/testdb"
)

// AdminPassword is the administrator password of every test server.
const AdminPassword = "admin-test-password"

// build is one build of cmd/notreasso, made once per test process.
type build struct {
	once sync.Once
	path string
	err  error
}

var release, testClock build

// Binary builds cmd/notreasso once and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	return release.get(t)
}

// TestClockBinary is cmd/notreasso built with the testclock tag: its clock
// reads the file named by NOTREASSO_TEST_CLOCK_FILE (see internal/clock).
// Release builds never have the tag.
func TestClockBinary(t testing.TB) string {
	t.Helper()
	return testClock.get(t, "-tags", "testclock")
}

// RemoveBinaries removes the binaries Binary and TestClockBinary built (a
// temporary folder each, 60 MB), once the package's tests are done: its
// TestMain passes it to testdb.Main.
func RemoveBinaries() {
	for _, b := range []*build{&release, &testClock} {
		if b.path != "" {
			os.RemoveAll(filepath.Dir(b.path))
		}
	}
}

func (b *build) get(t testing.TB, flags ...string) string {
	t.Helper()
	tier.External(t, "the real notreasso binary")
	b.once.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..", "..")
		dir, err := os.MkdirTemp("", "notreasso-bin-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, "notreasso")
		cmd := exec.Command("go", append(append([]string{"build"}, flags...), "-o", b.path, "./cmd/notreasso")...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// Options tunes a test server.
type Options struct {
	Backend string // "fs" (default) or "s3": a real versitygw process
	// S3 is the versitygw to use with the s3 backend (several servers
	// sharing one bucket); a new one if nil.
	S3   *s3server.Server
	Env  []string // extra NOTREASSO_… settings
	Data string   // data directory; a fresh temporary one if empty
	// Database is the database.url (a postgres:// URL). Empty: SQLite in
	// Data, or, under NOTREASSO_TEST_DB=postgres, a fresh PostgreSQL
	// database (testdb), the same one again when Data is given again.
	Database string
	// Clock runs the testclock build, whose time the test sets with
	// SetClock (until then, the wall clock).
	Clock bool
}

// databases remembers the PostgreSQL database made for each data
// directory, so a server started again on the same data finds its own.
var databases sync.Map

// Server is a running notreasso process.
type Server struct {
	URL  string
	Data string
	S3   *s3server.Server // non-nil with the S3 backend
	Cmd  *exec.Cmd
	Out  *bytes.Buffer // stdout + stderr

	t     testing.TB
	args  []string
	env   []string
	done  chan struct{}
	bin   string
	clock string // the test clock's file, with Options.Clock
}

// SetClock moves the server's clock (Options.Clock) to at; it goes on
// from there. CLI commands started with Run or Command read it too.
func (s *Server) SetClock(at time.Time) {
	s.t.Helper()
	if s.clock == "" {
		s.t.Fatal("SetClock needs server.Options{Clock: true}")
	}
	tmp := s.clock + ".tmp"
	if err := os.WriteFile(tmp, []byte(at.Format(time.RFC3339Nano)), 0o600); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Rename(tmp, s.clock); err != nil {
		s.t.Fatal(err)
	}
}

// Start runs `notreasso serve` and waits until /healthz answers. The
// process is stopped at the end of the test.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if o.Clock { // build before starting anything else
		TestClockBinary(t)
	} else {
		Binary(t)
	}
	data := o.Data
	if data == "" {
		data = t.TempDir()
	}
	port := freePort(t)
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Data: data, t: t}
	s.env = append(os.Environ(), "NOTREASSO_ADMIN_PASSWORD="+AdminPassword, "NOTREASSO_LOG_LEVEL=debug")
	if o.Backend == "s3" {
		if s.S3 = o.S3; s.S3 == nil {
			s.S3 = s3server.New(t)
		}
		s.env = append(s.env, "NOTREASSO_STORAGE_BACKEND=s3", "NOTREASSO_STORAGE_S3_ENDPOINT="+s.S3.Endpoint,
			"NOTREASSO_STORAGE_S3_BUCKET=notreasso", "NOTREASSO_STORAGE_S3_ACCESS_KEY="+s.S3.AccessKey,
			"NOTREASSO_STORAGE_S3_SECRET_KEY="+s.S3.SecretKey, "NOTREASSO_STORAGE_S3_TLS=false",
			"NOTREASSO_STORAGE_S3_PATH_STYLE=true", "NOTREASSO_STORAGE_S3_CREATE_BUCKET=true",
			"NOTREASSO_STORAGE_S3_REGION="+s3server.Region)
	}
	s.bin = Binary(t)
	if o.Clock {
		s.bin = TestClockBinary(t)
		s.clock = filepath.Join(t.TempDir(), "clock")
		s.env = append(s.env, "NOTREASSO_TEST_CLOCK_FILE="+s.clock)
	}
	db := o.Database
	if db == "" && testdb.Postgres() {
		if u, ok := databases.Load(data); ok {
			db = u.(string)
		} else {
			db = testdb.NewPostgres(t)
			databases.Store(data, db)
		}
	}
	if db != "" {
		s.env = append(s.env, "NOTREASSO_DATABASE_URL="+db)
	}
	s.env = append(s.env, o.Env...)
	s.args = []string{"serve", "--data", data, "--addr", fmt.Sprintf("127.0.0.1:%d", port)}
	s.Out = &bytes.Buffer{}
	s.start()
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("server output:\n%s", tail(s.Out.String(), 4000))
		}
	})
	return s
}

func (s *Server) start() {
	s.t.Helper()
	s.Cmd = exec.Command(s.bin, s.args...)
	s.Cmd.Env = s.env
	s.Cmd.Stdout, s.Cmd.Stderr = syncWriter{s.Out}, syncWriter{s.Out}
	if err := s.Cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.done = make(chan struct{})
	go func() { s.Cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			s.t.Fatalf("server exited at start:\n%s", s.Out.String())
		default:
		}
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("server did not become healthy:\n%s", s.Out.String())
}

// Restart starts the process again after Stop or Kill, same data and port.
func (s *Server) Restart() { s.start() }

// Stop sends SIGTERM and waits for a clean exit.
func (s *Server) Stop() {
	if s.Cmd == nil || s.Cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	s.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(40 * time.Second):
		s.Cmd.Process.Kill()
		<-s.done
	}
}

// Kill stops the process with SIGKILL, as a crash would.
func (s *Server) Kill() {
	s.Cmd.Process.Kill()
	<-s.done
}

// Exited reports the exit state once the process ended.
func (s *Server) Exited() <-chan struct{} { return s.done }

// PeakRSS is the process's high-water resident memory in bytes (Linux).
func (s *Server) PeakRSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.Cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb << 10
		}
	}
	return -1
}

// Run runs a CLI subcommand against this server's data directory.
func (s *Server) Run(ctx context.Context, stdin io.Reader, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, s.bin, append(args, "--data", s.Data)...)
	cmd.Env = s.env
	cmd.Stdin = stdin
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Command prepares (without starting) a CLI subcommand against this
// server's data directory and storage, for tests that run one alongside
// the server or kill it midway.
func (s *Server) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, s.bin, append(args, "--data", s.Data)...)
	cmd.Env = s.env
	return cmd
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Output returns what the process wrote so far; safe while it runs.
func (s *Server) Output() string {
	outMu.Lock()
	defer outMu.Unlock()
	return s.Out.String()
}

type syncWriter struct{ b *bytes.Buffer }

var outMu sync.Mutex

func (w syncWriter) Write(p []byte) (int, error) {
	outMu.Lock()
	defer outMu.Unlock()
	return w.b.Write(p)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
