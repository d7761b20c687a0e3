package backup

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
	"notreasso/internal/repo"
	"notreasso/internal/retention"
	blobfs "notreasso/storage/fs"
)

type instance struct {
	data  string
	db    *meta.DB
	blobs *blobfs.Store
	r     *repo.Service
}

func open(t *testing.T, data string) *instance {
	t.Helper()
	db, err := meta.Open(context.Background(), filepath.Join(data, "meta.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	bs, err := blobfs.New(filepath.Join(data, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.New(db, bs, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &instance{data: data, db: db, blobs: bs, r: r}
}

var admin = acl.Principal{UserID: 1, Login: "admin", Role: acl.Admin}

func (in *instance) put(t *testing.T, path, body string) {
	t.Helper()
	if _, _, err := in.r.Tree.Put(context.Background(), admin, path, strings.NewReader(body), repo.PutOptions{Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
}

// Dump is everything a restore must bring back, in a stable text form.
func Dump(t *testing.T, db *sql.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, COALESCE(parent_id, 0), name, kind, mtime, deleted_at IS NOT NULL, COALESCE(current_version_id, 0) FROM nodes ORDER BY id`,
		`SELECT node_id, number, blob, size, mime, COALESCE(author, 0), created_at, label, pinned FROM versions ORDER BY node_id, number`,
		`SELECT nt.node_id, t.name FROM node_tags nt JOIN tags t ON t.id = nt.tag_id ORDER BY 1, 2`,
		`SELECT node_id, principal_kind, principal_id, role FROM grants ORDER BY 1, 2, 3`,
		`SELECT login, role FROM users ORDER BY login`,
		`SELECT g.name, m.user_id FROM groups g JOIN group_members m ON m.group_id = g.id ORDER BY 1, 2`,
		`SELECT node_id, keep_all, max_versions, note FROM retention_rules ORDER BY 1`,
		`SELECT count(*) FROM journal`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
	}
	return b.String()
}

func TestBackupIncrementalRestore(t *testing.T) {
	ctx := context.Background()
	in := open(t, t.TempDir())
	in.db.W.Exec(`INSERT INTO users (id, login, role, created_at) VALUES (1, 'admin', 'admin', 0), (2, 'marie', 'member', 0)`)
	in.db.W.Exec(`INSERT INTO groups (id, name, created_at) VALUES (1, 'bureau', 0)`)
	in.db.W.Exec(`INSERT INTO group_members (group_id, user_id) VALUES (1, 2)`)
	in.r.Tree.MkdirAll(ctx, admin, "/Bureau/AG")
	in.put(t, "/Bureau/AG/pv.odt", "pv 1")
	in.put(t, "/Bureau/AG/pv.odt", "pv 2")
	in.r.History.LabelVersion(ctx, admin, "/Bureau/AG/pv.odt", 1, "voté", true)
	in.r.Tree.SetTags(ctx, admin, "/Bureau/AG/pv.odt", []string{"ag"})
	in.r.History.SetRetention(ctx, admin, "/Bureau", retention.Policy{KeepAll: true}, "tout garder")
	in.db.W.Exec(`INSERT INTO grants (node_id, principal_kind, principal_id, role, created_at) SELECT id, 'group', 1, 'manager', 0 FROM nodes WHERE name = 'Bureau'`)

	dir, err := OpenDir(filepath.Join(t.TempDir(), "sauvegarde"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Backup(ctx, in.r, dir, Options{TempDir: in.data, Keep: 2})
	if err != nil || rep.Copied != 2 || rep.Manifest.Files != 1 || rep.Manifest.Versions != 2 || rep.Manifest.Folders != 2 {
		t.Fatalf("first backup: %+v %v", rep, err)
	}
	in.put(t, "/Bureau/budget.ods", "budget")
	rep, err = Backup(ctx, in.r, dir, Options{TempDir: in.data, Keep: 2})
	if err != nil || rep.Copied != 1 || rep.Present != 2 {
		t.Fatalf("second backup copies only the new content: %+v %v", rep, err)
	}
	want := Dump(t, in.db.R)
	in.put(t, "/après la sauvegarde.txt", "perdu")
	if rep, err = Backup(ctx, in.r, dir, Options{TempDir: in.data, Keep: 2}); err != nil || len(rep.Pruned) != 1 {
		t.Fatalf("third backup prunes the oldest snapshot: %+v %v", rep, err)
	}
	snaps, _ := Snapshots(ctx, dir)
	if len(snaps) != 2 {
		t.Fatalf("snapshots kept: %v", snaps)
	}
	in.db.Close()

	// The disk dies: restore the second snapshot into a new data directory.
	fresh := filepath.Join(t.TempDir(), "data")
	bs, _ := blobfs.New(filepath.Join(fresh, "blobs"))
	rr, err := Restore(ctx, dir, RestoreOptions{Snapshot: snaps[0], Data: fresh, Blobs: bs})
	if err != nil || rr.Copied != 3 || len(rr.Missing) != 0 {
		t.Fatalf("restore: %+v %v", rr, err)
	}
	out := open(t, fresh)
	defer out.db.Close()
	if got := Dump(t, out.db.R); got != want {
		t.Errorf("restored:\n%s\nwant:\n%s", got, want)
	}
	f, err := out.r.History.Open(ctx, admin, "/Bureau/AG/pv.odt", 1)
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := f.Reader(ctx, 0, -1)
	b := make([]byte, 10)
	n, _ := rc.Read(b)
	rc.Close()
	if string(b[:n]) != "pv 1" {
		t.Errorf("version 1 reads %q", b[:n])
	}
	// Restoring over an existing database needs --force, and keeps it aside.
	if _, err := Restore(ctx, dir, RestoreOptions{Data: fresh, Blobs: bs}); err == nil {
		t.Error("restore over an existing database without force")
	}
	out.db.Close()
	rr, err = Restore(ctx, dir, RestoreOptions{Data: fresh, Blobs: bs, Force: true})
	if err != nil || rr.MovedAside == "" || rr.Name != snaps[1] {
		t.Fatalf("forced restore: %+v %v", rr, err)
	}
	if _, err := os.Stat(rr.MovedAside); err != nil {
		t.Errorf("old database not kept: %v", err)
	}
}

// A damaged snapshot is refused before anything is replaced.
func TestRestoreRefusesDamagedSnapshot(t *testing.T) {
	ctx := context.Background()
	in := open(t, t.TempDir())
	defer in.db.Close()
	in.db.W.Exec(`INSERT INTO users (id, login, role, created_at) VALUES (1, 'admin', 'admin', 0)`)
	in.put(t, "/a.txt", "a")
	dir, _ := OpenDir(t.TempDir())
	rep, err := Backup(ctx, in.r, dir, Options{TempDir: in.data})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir.root, "meta", rep.Manifest.Snapshot)
	b, _ := os.ReadFile(p)
	b[len(b)/2] ^= 0xff
	os.WriteFile(p, b, 0o640)
	fresh := t.TempDir()
	bs, _ := blobfs.New(filepath.Join(fresh, "blobs"))
	if _, err := Restore(ctx, dir, RestoreOptions{Data: fresh, Blobs: bs}); err == nil {
		t.Fatal("damaged snapshot restored")
	}
	if _, err := os.Stat(filepath.Join(fresh, "meta.db")); err == nil {
		t.Error("a database was left in place")
	}
}
