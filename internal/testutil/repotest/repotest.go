// Package repotest is the repository fixture the tests outside
// internal/repo share: a real database (SQLite, or PostgreSQL under
// NOTREASSO_TEST_DB=postgres: see testdb) and local blob store in a
// temporary directory, the repository and account services over them, and
// three accounts made through the account service (no raw SQL): admin,
// marie (a member) and paul (a guest), all with Password.
//
// internal/repo's own tests keep their in-package fixture: they cannot
// import this package, which imports repo.
package repotest

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
	"notreasso/internal/meta"
	"notreasso/internal/repo"
	"notreasso/internal/testutil/testdb"
	blobfs "notreasso/storage/fs"
)

// Password is every fixture account's password.
const Password = "correct horse battery"

// Env is an open repository with its accounts.
type Env struct {
	Dir   string
	DB    *meta.DB
	Blobs *blobfs.Store
	Repo  *repo.Service
	Auth  *auth.Service
	Log   *slog.Logger

	Admin, Member, Guest acl.Principal
}

// New opens a fresh repository with o (a discarding logger if o has
// none); everything closes when the test ends.
func New(t testing.TB, o repo.Options) *Env {
	t.Helper()
	ctx := context.Background()
	e := &Env{Dir: t.TempDir(), Log: o.Logger}
	if e.Log == nil {
		e.Log = slog.New(slog.DiscardHandler)
		o.Logger = e.Log
	}
	db, err := meta.Open(ctx, testdb.DSN(t, e.Dir), e.Log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.DB = db
	if e.Blobs, err = blobfs.New(filepath.Join(e.Dir, "blobs")); err != nil {
		t.Fatal(err)
	}
	if e.Repo, err = repo.New(db, e.Blobs, o); err != nil {
		t.Fatal(err)
	}
	e.Auth = auth.New(db, e.Log)
	for _, a := range []struct {
		login string
		role  acl.UserRole
		p     *acl.Principal
	}{{"admin", acl.Admin, &e.Admin}, {"marie", acl.Member, &e.Member}, {"paul", acl.Guest, &e.Guest}} {
		u, err := e.Auth.CreateUser(ctx, 0, a.login, Password, a.role)
		if err != nil {
			t.Fatal(err)
		}
		*a.p = acl.Principal{UserID: u.ID, Login: a.login, Role: a.role}
	}
	return e
}
