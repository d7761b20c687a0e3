// Package testdb gives tests their metadata database: a SQLite file in the
// test's directory, or, when NOTREASSO_TEST_DB=postgres (make test runs the
// repository, account, API and WebDAV suites a second time so), a fresh
// database on a real PostgreSQL server this package starts on loopback:
// one cluster per test binary (initdb + postgres from Debian's postgresql
// package, in a temporary directory), one database per test.
//
// A package whose tests use PostgreSQL calls testdb.Main from its TestMain
// so the cluster stops when its tests end; without it the server still
// stops with the test binary (it is started with a parent-death signal).
package testdb

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create databases

	"notreasso/internal/meta"
	"notreasso/internal/testutil/tier"
)

// Env is the variable choosing the test database: "postgres", or SQLite
// when empty.
const Env = "NOTREASSO_TEST_DB"

// Postgres reports whether the tests run on PostgreSQL.
func Postgres() bool { return os.Getenv(Env) == "postgres" }

// DSN returns the database setting for a test: a SQLite file in dir, or
// the URL of a new, empty PostgreSQL database when the tests run on
// PostgreSQL (dropped when the test ends).
func DSN(t testing.TB, dir string) string {
	t.Helper()
	if !Postgres() {
		return filepath.Join(dir, "meta.db")
	}
	return NewPostgres(t)
}

// NewPostgres returns the URL of a new PostgreSQL database, whatever Env
// says: for the tests that are about PostgreSQL itself.
func NewPostgres(t testing.TB) string {
	t.Helper()
	tier.External(t, "PostgreSQL (initdb from Debian's postgresql package)")
	c, err := shared()
	if err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), seq.Add(1))
	if _, err := c.admin.Exec(`CREATE DATABASE ` + name + ` TEMPLATE ` + templateDB); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := c.admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return c.url(name)
}

// Main runs the package's tests, then stops the PostgreSQL cluster if one
// was started.
func Main(m *testing.M) {
	code := m.Run()
	stop()
	os.Exit(code)
}

// templateDB is migrated once per cluster; each test's database is a copy,
// which takes milliseconds where migrating takes a second.
const templateDB = "notreasso_template"

var (
	once    sync.Once
	cluster *pgCluster
	errInit error
	seq     atomic.Int64
)

type pgCluster struct {
	dir   string
	port  int
	cmd   *exec.Cmd
	done  chan struct{}
	admin *sql.DB
}

func (c *pgCluster) url(db string) string {
	return fmt.Sprintf("postgres://notreasso@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

func shared() (*pgCluster, error) {
	once.Do(func() { cluster, errInit = start() })
	return cluster, errInit
}

func stop() {
	if cluster == nil {
		return
	}
	cluster.admin.Close()
	cluster.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
	select {
	case <-cluster.done:
	case <-time.After(30 * time.Second):
		cluster.cmd.Process.Kill()
		<-cluster.done
	}
	os.RemoveAll(cluster.dir)
	cluster = nil
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

// Server is a PostgreSQL cluster started by a test, for the tests that
// need their own (several servers sharing one, a database killed under
// them): URL names its superuser's database "postgres".
type Server struct{ c *pgCluster }

// Start starts a cluster of the test's own, stopped when it ends.
func Start(t testing.TB) *Server {
	t.Helper()
	tier.External(t, "PostgreSQL (initdb from Debian's postgresql package)")
	c, err := start()
	if err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
	t.Cleanup(func() {
		c.admin.Close()
		c.cmd.Process.Signal(syscall.SIGINT)
		<-c.done
		os.RemoveAll(c.dir)
	})
	return &Server{c}
}

// CreateDB creates an empty database and returns its URL.
func (s *Server) CreateDB(t testing.TB, name string) string {
	t.Helper()
	if _, err := s.c.admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	return s.c.url(name)
}

func start() (*pgCluster, error) {
	initdb, err := Bin("initdb")
	if err != nil {
		return nil, err
	}
	postgres := filepath.Join(filepath.Dir(initdb), "postgres")
	dir, err := os.MkdirTemp("", "notreasso-pg-")
	if err != nil {
		return nil, err
	}
	c := &pgCluster{dir: dir, done: make(chan struct{})}
	fail := func(err error) (*pgCluster, error) {
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
	// Durability settings off: a test cluster is thrown away, never in production.
	c.cmd = run(postgres, "-D", data, "-p", strconv.Itoa(c.port), "-k", sock, "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300",
		"-c", "shared_buffers=32MB")
	c.cmd.Stdout, c.cmd.Stderr = log, log
	if err := c.cmd.Start(); err != nil {
		log.Close()
		return fail(fmt.Errorf("start postgres: %w", err))
	}
	go func() { c.cmd.Wait(); log.Close(); close(c.done) }()
	if c.admin, err = sql.Open("pgx", c.url("postgres")); err != nil {
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
			c.cmd.Process.Kill()
			return fail(fmt.Errorf("postgres did not answer within a minute: %w", err))
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.admin.SetMaxOpenConns(2)
	if _, err := c.admin.Exec(`CREATE DATABASE ` + templateDB); err != nil {
		return fail(fmt.Errorf("create the template database: %w", err))
	}
	db, err := meta.Open(context.Background(), c.url(templateDB), discard)
	if err != nil {
		return fail(fmt.Errorf("migrate the template database: %w", err))
	}
	db.Close()
	return c, nil
}

var discard = slog.New(slog.DiscardHandler)

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
