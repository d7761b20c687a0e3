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
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create databases

	"notreasso/internal/meta"
	"notreasso/internal/pgserver"
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
	if err := c.Exec(`CREATE DATABASE ` + name + ` TEMPLATE ` + templateDB); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := c.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return c.URL(name)
}

// Main runs the package's tests, then stops the PostgreSQL cluster if one
// was started, then runs after (other helpers' clean-ups: os.Exit skips
// deferred calls).
func Main(m *testing.M, after ...func()) {
	code := m.Run()
	stop()
	for _, f := range after {
		f()
	}
	os.Exit(code)
}

// templateDB is migrated once per cluster; each test's database is a copy,
// which takes milliseconds where migrating takes a second.
const templateDB = "notreasso_template"

var (
	once    sync.Once
	cluster *pgserver.Server
	errInit error
	seq     atomic.Int64
)

func shared() (*pgserver.Server, error) {
	once.Do(func() { cluster, errInit = start() })
	return cluster, errInit
}

func stop() {
	if cluster != nil {
		cluster.Stop()
		cluster = nil
	}
}

func start() (*pgserver.Server, error) {
	c, err := pgserver.Start()
	if err != nil {
		return nil, err
	}
	if err := c.Exec(`CREATE DATABASE ` + templateDB); err != nil {
		c.Stop()
		return nil, fmt.Errorf("create the template database: %w", err)
	}
	db, err := meta.Open(context.Background(), c.URL(templateDB), slog.New(slog.DiscardHandler))
	if err != nil {
		c.Stop()
		return nil, fmt.Errorf("migrate the template database: %w", err)
	}
	db.Close()
	return c, nil
}
