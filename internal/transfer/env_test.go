package transfer

import (
	"context"
	"io"
	"notreasso/internal/testutil/repotest"
	"notreasso/internal/testutil/testdb"
	"os"
	"path/filepath"
	"testing"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
	"notreasso/internal/repo"
)

// env is a real repository (SQLite file, local blob store) in a temporary
// directory, with an administrator and a member.
type env struct {
	r      *repo.Service
	db     *meta.DB
	dir    string
	admin  acl.Principal
	member acl.Principal
}

func newEnv(t testing.TB) *env {
	t.Helper()
	x := repotest.New(t, repo.Options{})
	return &env{r: x.Repo, db: x.DB, dir: x.Dir, admin: x.Admin, member: x.Member}
}

func (e *env) read(t testing.TB, path string) string {
	t.Helper()
	f, err := e.r.History.Open(context.Background(), e.admin, path, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	rc, err := f.Reader(context.Background(), 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

func (e *env) count(t testing.TB, q string) int {
	t.Helper()
	var n int
	if err := e.db.R.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// writeFile creates a source file with a modification time.
func writeFile(t testing.TB, root, rel, content string, mtime time.Time) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func TestMain(m *testing.M) { testdb.Main(m) }
