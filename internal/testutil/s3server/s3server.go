// Package s3server runs a real S3 server for tests: Versity's S3 gateway
// (versitygw) with its posix backend on a temporary directory, listening on
// a free loopback port. Install the binary with scripts/tools.sh.
//
// The binary is looked up in $NOTREASSO_VERSITYGW, then
// <repo root>/.tools/bin/versitygw, then $PATH. A missing binary fails the
// test rather than skipping it: a skipped test checks nothing in CI.
package s3server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"notreasso/internal/testutil/tier"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// AccessKey and SecretKey are the root credentials of every test server.
	AccessKey = "notreasso-test"
	SecretKey = "notreasso-test-secret-key"
	// Region is the region versitygw reports by default.
	Region = "us-east-1"

	startTimeout = 30 * time.Second
	stopTimeout  = 10 * time.Second
)

// Server is one versitygw process. It can be killed and started again on the
// same port and data directory, to test clients against a server that dies.
type Server struct {
	// Endpoint is host:port, without scheme (plain HTTP).
	Endpoint  string
	AccessKey string
	SecretKey string
	// Dir is the posix backend root: one sub-directory per bucket.
	Dir string

	t       testing.TB
	bin     string
	logPath string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
}

// Start starts a server for the test and returns how to reach it. The
// server is stopped when the test ends.
func Start(t testing.TB) (endpoint, access, secret string) {
	t.Helper()
	s := New(t)
	return s.Endpoint, s.AccessKey, s.SecretKey
}

// New starts a server for the test and returns it, for tests that need to
// stop or restart it. The server is stopped when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	tier.External(t, "a versitygw S3 server")
	bin, err := Binary()
	if err != nil {
		t.Fatalf("s3server: %v", err)
	}
	dir := t.TempDir()
	s := &Server{
		AccessKey: AccessKey,
		SecretKey: SecretKey,
		Dir:       filepath.Join(dir, "data"),
		t:         t,
		bin:       bin,
		logPath:   filepath.Join(dir, "versitygw.log"),
	}
	if err := os.Mkdir(s.Dir, 0o755); err != nil {
		t.Fatalf("s3server: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			if log, err := os.ReadFile(s.logPath); err == nil && len(log) > 0 {
				t.Logf("versitygw output:\n%s", tail(log, 4000))
			}
		}
		s.Stop()
	})
	// A port picked here can be taken by someone else before versitygw binds
	// it; a few attempts make that race harmless.
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("s3server: %v", err)
		}
		s.Endpoint = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		err = s.start()
		if err == nil {
			return s
		}
		if attempt == 3 {
			t.Fatalf("s3server: %v", err)
		}
	}
}

// Binary returns the path of the versitygw binary, or an error telling how
// to install it.
func Binary() (string, error) {
	if p := os.Getenv("NOTREASSO_VERSITYGW"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("NOTREASSO_VERSITYGW=%s: %w", p, err)
		}
		return p, nil
	}
	if root, err := repoRoot(); err == nil {
		p := filepath.Join(root, ".tools", "bin", "versitygw")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	return "", errors.New("versitygw not found: run scripts/tools.sh at the repository root " +
		"(installs it into .tools/bin), or set NOTREASSO_VERSITYGW to its path")
}

// repoRoot walks up from the working directory (the package directory
// under go test) to the directory holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found")
		}
		dir = parent
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start starts the server again after Stop or Kill, on the same port and
// data directory. It fails the test if the server does not come up.
func (s *Server) Start() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("s3server: %v", err)
	}
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("versitygw already running")
	}
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close() // the child keeps its own descriptor
	cmd := exec.Command(s.bin, "--port", s.Endpoint, "--quiet", "posix", s.Dir)
	cmd.Env = append(os.Environ(),
		"ROOT_ACCESS_KEY_ID="+s.AccessKey,
		"ROOT_SECRET_ACCESS_KEY="+s.SecretKey,
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group, so a Ctrl-C on go test does not race our Stop.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	s.cmd, s.exited = cmd, exited

	if err := waitReady(s.Endpoint, exited); err != nil {
		cmd.Process.Kill()
		<-exited
		s.cmd, s.exited = nil, nil
		log, _ := os.ReadFile(s.logPath)
		return fmt.Errorf("versitygw on %s: %w\n%s", s.Endpoint, err, tail(log, 2000))
	}
	return nil
}

// waitReady polls until the server answers HTTP, or it exits, or time runs out.
func waitReady(endpoint string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+endpoint+"/", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			return nil // any HTTP answer, even 403, means it serves
		}
		select {
		case <-exited:
			return errors.New("exited during startup")
		case <-ctx.Done():
			return fmt.Errorf("not answering after %v", startTimeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Kill stops the server abruptly (SIGKILL), as a crash or power loss would.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.exited
	s.cmd, s.exited = nil, nil
}

// Stop stops the server gracefully (SIGTERM), killing it if it lingers.
// Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd, s.exited = nil, nil
}

// Running reports whether the server process is up.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

func tail(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	b = b[len(b)-n:]
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return b
}
