package backup

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"notreasso/internal/meta"
	"notreasso/internal/repo"
	"notreasso/internal/testutil/testdb"
	blobfs "notreasso/storage/fs"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// The metadata in PostgreSQL, servers writing during the backup: the
// snapshot is a SQLite file holding one instant of the database, which
// restores like any other and is consistent with the blobs.
func TestBackupFromPostgresWhileWriting(t *testing.T) {
	ctx := context.Background()
	dsn := testdb.NewPostgres(t)
	data := t.TempDir()
	db, err := meta.Open(ctx, dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bs, err := blobfs.New(filepath.Join(data, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.New(db, bs, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{data: data, db: db, blobs: bs, r: r}
	for _, q := range []string{
		`INSERT INTO users (id, login, role, created_at) VALUES (1, 'admin', 'admin', 0), (2, 'marie', 'member', 0)`,
		`INSERT INTO groups (id, name, created_at) VALUES (1, 'bureau', 0)`,
		`INSERT INTO group_members (group_id, user_id) VALUES (1, 2)`,
	} {
		if _, err := db.W.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SyncIDs(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Tree.MkdirAll(ctx, admin, "/Bureau/AG"); err != nil {
		t.Fatal(err)
	}
	in.put(t, "/Bureau/AG/pv.odt", "pv 1")
	in.put(t, "/Bureau/AG/pv.odt", "pv 2")
	if err := r.History.LabelVersion(ctx, admin, "/Bureau/AG/pv.odt", 1, "voté", true); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Tree.SetTags(ctx, admin, "/Bureau/AG/pv.odt", []string{"ag"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.W.ExecContext(ctx, `INSERT INTO grants (node_id, principal_kind, principal_id, role, created_at)
		SELECT id, 'group', 1, 'manager', 0 FROM nodes WHERE name = 'Bureau'`); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Tree.MkdirAll(ctx, admin, "/Flux"); err != nil {
		t.Fatal(err)
	}

	// A server keeps writing, one file after the other, during the backup.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var written atomic.Int64
	var werr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			body := fmt.Sprintf("écrit pendant la sauvegarde %d", i)
			if _, _, err := r.Tree.Put(ctx, admin, fmt.Sprintf("/Flux/f%04d.txt", i), strings.NewReader(body), repo.PutOptions{Size: int64(len(body))}); err != nil {
				werr = err
				return
			}
			written.Store(int64(i + 1))
		}
	}()
	dir, err := OpenDir(filepath.Join(t.TempDir(), "sauvegarde"))
	if err != nil {
		t.Fatal(err)
	}
	for written.Load() < 20 { // the writes are under way
		time.Sleep(10 * time.Millisecond)
	}
	rep, err := Backup(ctx, r, dir, Options{TempDir: data})
	close(stop)
	wg.Wait()
	if err != nil || werr != nil {
		t.Fatalf("backup: %+v %v (writer: %v)", rep, err, werr)
	}
	if rep.Manifest.Files < 21 || rep.Manifest.Versions != rep.Manifest.Files+1 {
		t.Fatalf("the snapshot counts %d files, %d versions", rep.Manifest.Files, rep.Manifest.Versions)
	}

	// Restore into a new, plain (SQLite) installation.
	fresh := filepath.Join(t.TempDir(), "data")
	fbs, _ := blobfs.New(filepath.Join(fresh, "blobs"))
	rr, err := Restore(ctx, dir, RestoreOptions{Data: fresh, Blobs: fbs})
	if err != nil || len(rr.Missing) != 0 {
		t.Fatalf("restore: %+v %v", rr, err)
	}
	out := open(t, fresh)
	defer out.db.Close()
	check, err := out.r.Maintenance.Check(ctx, repo.CheckOptions{})
	if err != nil || check.Errors() > 0 {
		t.Fatalf("check of the restored installation: %+v %v", check.Findings, err)
	}

	// One instant: the files written during the backup are a prefix of the
	// writer's sequence, each with its content.
	_, kids, err := out.r.Tree.List(ctx, admin, "/Flux")
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range kids {
		if want := fmt.Sprintf("f%04d.txt", i); k.Name != want {
			t.Fatalf("restored /Flux has %s at %d, want %s: not one instant of the database", k.Name, i, want)
		}
	}
	if len(kids) < 20 || int64(len(kids)) > written.Load() {
		t.Fatalf("restored %d files of %d written", len(kids), written.Load())
	}
	last := fmt.Sprintf("/Flux/f%04d.txt", len(kids)-1)
	if got := readAll(t, out.r, last, 0); got != fmt.Sprintf("écrit pendant la sauvegarde %d", len(kids)-1) {
		t.Errorf("%s reads %q", last, got)
	}
	if got := readAll(t, out.r, "/Bureau/AG/pv.odt", 1); got != "pv 1" {
		t.Errorf("version 1 reads %q", got)
	}

	// Everything else equals the PostgreSQL database at that instant: the
	// rows up to the last node and journal entry the snapshot holds.
	var maxNode, maxJournal int64
	out.db.R.QueryRow(`SELECT max(id) FROM nodes`).Scan(&maxNode)
	out.db.R.QueryRow(`SELECT max(seq) FROM journal`).Scan(&maxJournal)
	if got, want := dumpUpTo(t, out.db.R, maxNode, maxJournal), dumpUpTo(t, db.R, maxNode, maxJournal); got != want {
		t.Errorf("restored:\n%s\nPostgreSQL:\n%s", got, want)
	}
	// And a restore can go on to PostgreSQL again (restore, then db migrate).
	back, err := meta.Open(ctx, testdb.NewPostgres(t), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if _, err := out.db.CopyTo(ctx, back, nil); err != nil {
		t.Fatalf("restored snapshot to PostgreSQL: %v", err)
	}
	if got, want := dumpUpTo(t, back.R, maxNode, maxJournal), dumpUpTo(t, out.db.R, maxNode, maxJournal); got != want {
		t.Errorf("back in PostgreSQL:\n%s\nrestored:\n%s", got, want)
	}
}

func readAll(t *testing.T, r *repo.Service, path string, version int) string {
	t.Helper()
	f, err := r.History.Open(context.Background(), admin, path, version)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	rc, err := f.Reader(context.Background(), 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dumpUpTo is Dump limited to the nodes and journal entries up to the
// given ids, and with the journal's entries themselves.
func dumpUpTo(t *testing.T, db *sql.DB, maxNode, maxJournal int64) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, COALESCE(parent_id, 0), name, kind, mtime, deleted_at IS NOT NULL, COALESCE(current_version_id, 0) FROM nodes WHERE id <= ? ORDER BY id`,
		`SELECT node_id, number, blob, size, mime, COALESCE(author, 0), created_at, label, pinned FROM versions WHERE node_id <= ? ORDER BY node_id, number`,
		`SELECT nt.node_id, t.name FROM node_tags nt JOIN tags t ON t.id = nt.tag_id WHERE nt.node_id <= ? ORDER BY 1, 2`,
		`SELECT node_id, principal_kind, principal_id, role FROM grants WHERE node_id <= ? ORDER BY 1, 2, 3`,
		`SELECT id, login, role FROM users WHERE id <= ? ORDER BY login`,
		`SELECT g.name, m.user_id FROM groups g JOIN group_members m ON m.group_id = g.id WHERE g.id <= ? ORDER BY 1, 2`,
		`SELECT seq, action, COALESCE(node_id, 0), details FROM journal WHERE seq <= ? ORDER BY seq`,
	} {
		arg := maxNode
		if strings.Contains(q, "FROM journal") {
			arg = maxJournal
		}
		rows, err := db.Query(q, arg)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				switch x := v.(type) {
				case []byte:
					vals[i] = string(x)
				case bool: // deleted_at IS NOT NULL
					vals[i] = map[bool]int64{false: 0, true: 1}[x]
				case int32:
					vals[i] = int64(x)
				}
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
	}
	return b.String()
}
