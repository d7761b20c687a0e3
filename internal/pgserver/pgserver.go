// Package pgserver starts a throwaway PostgreSQL server on loopback, in a
// temporary directory, for the tests (internal/testutil/testdb) and the
// benchmarks: initdb and postgres from Debian's postgresql package, run as
// the postgres account when started by root. Durability is off (fsync,
// synchronous commit, full-page writes): never for real data.
package pgserver

import (
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the administrator's connection
)

// Server is a running PostgreSQL cluster whose superuser is "notreasso"
// (trust authentication, loopback only).
type Server struct {
	dir   string
	port  int
	cmd   *exec.Cmd
	done  chan struct{}
	admin *sql.DB
}

// URL is the connection URL of database db.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://notreasso@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// PID is the server's main process (its backends are its children).
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Exec runs an administrative statement (CREATE DATABASE…) on the
// "postgres" database.
func (s *Server) Exec(q string) error {
	_, err := s.admin.Exec(q)
	return err
}

// Stop shuts the server down (fast shutdown) and removes its directory.
func (s *Server) Stop() {
	s.admin.Close()
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	os.RemoveAll(s.dir)
}

// Bin finds a PostgreSQL program: Debian keeps them out of PATH, under
// /usr/lib/postgresql/VERSION/bin.
func Bin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(found) == 0 {
		return "", fmt.Errorf("%s is not installed (Debian package postgresql; .ci/run installs it)", name)
	}
	return found[len(found)-1], nil
}

// Start initialises and starts a cluster in a new temporary directory. The
// server gets a parent-death signal: it stops with the process that
// started it even if Stop is never called.
func Start() (*Server, error) {
	initdb, err := Bin("initdb")
	if err != nil {
		return nil, err
	}
	postgres := filepath.Join(filepath.Dir(initdb), "postgres")
	dir, err := os.MkdirTemp("", "notreasso-pg-")
	if err != nil {
		return nil, err
	}
	c := &Server{dir: dir, done: make(chan struct{})}
	fail := func(err error) (*Server, error) {
		if c.cmd != nil && c.cmd.Process != nil {
			c.cmd.Process.Kill()
			<-c.done
		}
		os.RemoveAll(dir)
		return nil, err
	}
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	// initdb and postgres refuse to run as root: as root (CI), they run as
	// the postgres account the Debian package creates.
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return fail(fmt.Errorf("running as root, PostgreSQL needs the postgres account (Debian package postgresql): %w", err))
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chmod(dir, 0o755); err != nil {
			return fail(err)
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			return fail(err)
		}
	}
	run := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGINT}
		return cmd
	}
	if out, err := run(initdb, "-D", data, "-U", "notreasso", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync").CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %v\n%s", err, out))
	}
	if err := run("mkdir", sock).Run(); err != nil {
		return fail(fmt.Errorf("socket directory: %w", err))
	}
	if c.port, err = freePort(); err != nil {
		return fail(err)
	}
	log, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return fail(err)
	}
	c.cmd = run(postgres, "-D", data, "-p", strconv.Itoa(c.port), "-k", sock, "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300",
		"-c", "shared_buffers=32MB")
	c.cmd.Stdout, c.cmd.Stderr = log, log
	if err := c.cmd.Start(); err != nil {
		log.Close()
		c.cmd = nil
		return fail(fmt.Errorf("start postgres: %w", err))
	}
	go func() { c.cmd.Wait(); log.Close(); close(c.done) }()
	if c.admin, err = sql.Open("pgx", c.URL("postgres")); err != nil {
		return fail(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := c.admin.Ping()
		if err == nil {
			break
		}
		select {
		case <-c.done:
			out, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
			return fail(fmt.Errorf("postgres exited: %s", strings.TrimSpace(string(out))))
		default:
		}
		if time.Now().After(deadline) {
			return fail(fmt.Errorf("postgres did not answer within a minute: %w", err))
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.admin.SetMaxOpenConns(2)
	return c, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
