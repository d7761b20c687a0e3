package repo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
	"notreasso/internal/testutil/testdb"
	"notreasso/storage"
	blobfs "notreasso/storage/fs"
)

type env struct {
	s      *Service
	blobs  *blobfs.Store
	dir    string
	admin  acl.Principal
	member acl.Principal
	guest  acl.Principal
}

// addUser makes an account the repository can name: the one place this
// package's tests write accounts. Without a password — the repository only
// needs ids and roles, and hashing one per test would cost seconds (the
// tests outside this package make theirs through auth, see repotest).
func (e *env) addUser(t testing.TB, login string, role acl.UserRole) acl.Principal {
	t.Helper()
	var id int64
	if err := e.s.db.W.QueryRow(`INSERT INTO users (login, role, created_at) VALUES (?, ?, 0) RETURNING id`, login, string(role)).Scan(&id); err != nil {
		t.Fatalf("add account %s: %v", login, err)
	}
	return acl.Principal{UserID: id, Login: login, Role: role}
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := meta.Open(ctx, testdb.DSN(t, dir), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bs, err := blobfs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{blobs: bs, dir: dir}
	s, err := New(db, bs, Options{MaxUpload: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	e.admin = e.addUser(t, "admin", acl.Admin)
	e.member = e.addUser(t, "marie", acl.Member)
	e.guest = e.addUser(t, "paul", acl.Guest)
	return e
}

func TestMain(m *testing.M) { testdb.Main(m) }

func (e *env) put(t testing.TB, p acl.Principal, path, content string) Node {
	t.Helper()
	n, _, err := e.s.Tree.Put(context.Background(), p, path, strings.NewReader(content), PutOptions{Size: int64(len(content))})
	if err != nil {
		t.Fatalf("put %s: %v", path, err)
	}
	return n
}

func (e *env) read(t *testing.T, p acl.Principal, path string, version int) string {
	t.Helper()
	f, err := e.s.History.Open(context.Background(), p, path, version)
	if err != nil {
		t.Fatalf("open %s v%d: %v", path, version, err)
	}
	rc, err := f.Reader(context.Background(), 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

func (e *env) blobCount(t *testing.T) int {
	n := 0
	e.blobs.List(context.Background(), "", func(storage.BlobInfo) error { n++; return nil })
	return n
}

func (e *env) spoolCount(t *testing.T) int { return spoolFiles(t, e) }

func TestVersionsRestoreTrash(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := e.member
	if _, err := e.s.Tree.Mkdir(ctx, u, "/Bureau"); err != nil {
		t.Fatal(err)
	}
	e.put(t, u, "/Bureau/pv.txt", "version un")
	e.put(t, u, "/Bureau/pv.txt", "version deux")
	n := e.put(t, u, "/Bureau/pv.txt", "version trois")
	if n.Version != 3 {
		t.Fatalf("version = %d, want 3", n.Version)
	}
	_, vs, err := e.s.History.Versions(ctx, u, "/Bureau/pv.txt")
	if err != nil || len(vs) != 3 || !vs[0].Current || vs[0].Number != 3 {
		t.Fatalf("versions: %+v %v", vs, err)
	}
	if got := e.read(t, u, "/Bureau/pv.txt", 1); got != "version un" {
		t.Errorf("version 1 = %q", got)
	}
	n, err = e.s.History.RestoreVersion(ctx, u, "/Bureau/pv.txt", 1)
	if err != nil || n.Version != 4 {
		t.Fatalf("restore version: %+v %v", n, err)
	}
	if got := e.read(t, u, "/Bureau/pv.txt", 0); got != "version un" {
		t.Errorf("after restore = %q", got)
	}
	sum := sha256.Sum256([]byte("version un"))
	if n.Hash != hex.EncodeToString(sum[:]) || n.ETag() != n.Hash {
		t.Errorf("hash/etag = %s/%s", n.Hash, n.ETag())
	}

	if err := e.s.Tree.Delete(ctx, u, "/Bureau"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Tree.Stat(ctx, u, "/Bureau/pv.txt"); !errors.Is(err, ErrNotFound) {
		t.Errorf("stat in trashed folder: %v", err)
	}
	trash, err := e.s.History.Trash(ctx, u)
	if err != nil || len(trash) != 1 || trash[0].OriginalPath != "/Bureau" {
		t.Fatalf("trash: %+v %v", trash, err)
	}
	if _, err := e.s.History.Restore(ctx, u, trash[0].ID, ""); err != nil {
		t.Fatal(err)
	}
	if got := e.read(t, u, "/Bureau/pv.txt", 0); got != "version un" {
		t.Errorf("after trash restore = %q", got)
	}
	var actions []string
	rows, _ := e.s.db.R.Query(`SELECT action FROM journal ORDER BY seq`)
	for rows.Next() {
		var a string
		rows.Scan(&a)
		actions = append(actions, a)
	}
	want := "mkdir create version version restore_version delete restore"
	if strings.Join(actions, " ") != want {
		t.Errorf("journal = %v, want %s", actions, want)
	}
}

func TestRestoreWhenNameTaken(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.put(t, e.member, "/a.txt", "ancien")
	e.s.Tree.Delete(ctx, e.member, "/a.txt")
	e.put(t, e.member, "/a.txt", "nouveau")
	trash, _ := e.s.History.Trash(ctx, e.member)
	if _, err := e.s.History.Restore(ctx, e.member, trash[0].ID, ""); !errors.Is(err, ErrExists) {
		t.Fatalf("restore onto a taken name: %v", err)
	}
	if _, err := e.s.History.Restore(ctx, e.member, trash[0].ID, "/a (restauré).txt"); err != nil {
		t.Fatal(err)
	}
	if got := e.read(t, e.member, "/a (restauré).txt", 0); got != "ancien" {
		t.Errorf("restored = %q", got)
	}
	if got := e.read(t, e.member, "/a.txt", 0); got != "nouveau" {
		t.Errorf("other = %q", got)
	}
}

func TestDedup(t *testing.T) {
	e := newEnv(t)
	e.put(t, e.member, "/un.txt", "même contenu")
	e.put(t, e.member, "/deux.txt", "même contenu")
	if _, err := e.s.Tree.Copy(context.Background(), e.member, "/un.txt", "/trois.txt", false); err != nil {
		t.Fatal(err)
	}
	if n := e.blobCount(t); n != 1 {
		t.Errorf("%d blobs on disk, want 1", n)
	}
	if n := e.spoolCount(t); n != 0 {
		t.Errorf("%d spool files left", n)
	}
}

func TestSameContentSavedAgainKeepsOneVersion(t *testing.T) {
	e := newEnv(t)
	e.put(t, e.member, "/a.txt", "x")
	if n := e.put(t, e.member, "/a.txt", "x"); n.Version != 1 {
		t.Errorf("version = %d, want 1", n.Version)
	}
}

// failingReader delivers n bytes then fails, like a client that disconnects.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	k := min(len(p), f.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	f.n -= k
	return k, nil
}

func TestBrokenUploadLeavesNothing(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.put(t, e.member, "/doc.txt", "old")
	tests := []struct {
		name string
		r    io.Reader
		size int64
		want error
	}{
		{"disconnect halfway", &failingReader{n: 5 << 20}, 10 << 20, ErrIncomplete},
		{"disconnect, chunked", &failingReader{n: 1 << 20}, -1, ErrIncomplete},
		{"short body", strings.NewReader("abc"), 10, ErrIncomplete},
		{"long body", strings.NewReader("abcdef"), 3, ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := e.s.Tree.Put(ctx, e.member, "/doc.txt", tt.r, PutOptions{Size: tt.size})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			n, _ := e.s.Tree.Stat(ctx, e.member, "/doc.txt")
			if n.Version != 1 || e.read(t, e.member, "/doc.txt", 0) != "old" {
				t.Errorf("file changed: %+v", n)
			}
			if b, s := e.blobCount(t), e.spoolCount(t); b != 1 || s != 0 {
				t.Errorf("%d blobs, %d spool files; want 1, 0", b, s)
			}
		})
	}
	_, _, err := e.s.Tree.Put(ctx, e.member, "/new.txt", &failingReader{n: 100}, PutOptions{Size: 200})
	if !errors.Is(err, ErrIncomplete) {
		t.Fatal(err)
	}
	if _, err := e.s.Tree.Stat(ctx, e.member, "/new.txt"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a failed first upload left a node: %v", err)
	}
}

func TestTooLarge(t *testing.T) {
	e := newEnv(t)
	e.s.opts.MaxUpload = 10
	for _, size := range []int64{11, -1} {
		_, _, err := e.s.Tree.Put(context.Background(), e.member, "/big", strings.NewReader(strings.Repeat("x", 11)), PutOptions{Size: size})
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("size %d: %v", size, err)
		}
	}
	if e.spoolCount(t) != 0 {
		t.Error("spool file left")
	}
}

func TestBadNamesChangeNothing(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.s.Tree.Mkdir(ctx, e.member, "/ok")
	long := strings.Repeat("n", 300)
	bad := []string{"/ok/../etc", "/..", "/ok/a\x00b", "/" + long, "/ok/" + long + "/x", "/ok/./x", "/", "/ok/\x01"}
	ops := map[string]func(p string) error{
		"put": func(p string) error {
			_, _, err := e.s.Tree.Put(ctx, e.member, p, strings.NewReader("x"), PutOptions{Size: 1})
			return err
		},
		"mkdir": func(p string) error { _, err := e.s.Tree.Mkdir(ctx, e.member, p); return err },
		"move":  func(p string) error { _, err := e.s.Tree.Move(ctx, e.member, "/ok", p, false); return err },
		"copy":  func(p string) error { _, err := e.s.Tree.Copy(ctx, e.member, "/ok", p, false); return err },
	}
	var before int
	e.s.db.R.QueryRow(`SELECT count(*) FROM nodes`).Scan(&before)
	for name, op := range ops {
		for _, p := range bad {
			err := op(p)
			if err == nil {
				t.Errorf("%s %q accepted", name, p)
				continue
			}
			if !errors.Is(err, ErrInvalidName) && !errors.Is(err, ErrConflict) {
				t.Errorf("%s %q: error %v is neither ErrInvalidName nor ErrConflict", name, p, err)
			}
		}
	}
	var after int
	e.s.db.R.QueryRow(`SELECT count(*) FROM nodes`).Scan(&after)
	if after != before {
		t.Errorf("nodes %d → %d", before, after)
	}
	if e.spoolCount(t) != 0 {
		t.Error("spool file left")
	}
}

func TestNFDNamesNormalised(t *testing.T) {
	e := newEnv(t)
	e.put(t, e.member, "/Re\u0301union.txt", "x")
	if _, err := e.s.Tree.Stat(context.Background(), e.member, "/Réunion.txt"); err != nil {
		t.Errorf("NFC lookup of an NFD upload: %v", err)
	}
}

func TestConcurrentWritersBothKept(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	const n = 8
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body := bytes.Repeat([]byte(fmt.Sprint(i)), 1<<16)
			_, _, err := e.s.Tree.Put(context.Background(), e.member, "/same.txt", bytes.NewReader(body), PutOptions{Size: int64(len(body))})
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	_, vs, err := e.s.History.Versions(context.Background(), e.member, "/same.txt")
	if err != nil || len(vs) != n {
		t.Fatalf("%d versions, want %d (%v)", len(vs), n, err)
	}
}

func TestMoveCopy(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := e.member
	e.s.Tree.MkdirAll(ctx, u, "/A/B")
	e.put(t, u, "/A/B/f.txt", "contenu")
	e.s.Tree.SetTags(ctx, u, "/A/B/f.txt", []string{"Statuts", "AG"})
	if _, err := e.s.Tree.Move(ctx, u, "/A", "/A/B/C", false); !errors.Is(err, ErrConflict) {
		t.Errorf("move into itself: %v", err)
	}
	if _, err := e.s.Tree.Copy(ctx, u, "/A", "/A/B/C", false); !errors.Is(err, ErrConflict) {
		t.Errorf("copy into itself: %v", err)
	}
	if _, err := e.s.Tree.Copy(ctx, u, "/A", "/A2", false); err != nil {
		t.Fatal(err)
	}
	if got := e.read(t, u, "/A2/B/f.txt", 0); got != "contenu" {
		t.Errorf("copy = %q", got)
	}
	n, err := e.s.Tree.Move(ctx, u, "/A/B/f.txt", "/A/g.txt", false)
	if err != nil || n.Path != "/A/g.txt" || strings.Join(n.Tags, ",") != "ag,statuts" {
		t.Fatalf("move: %+v %v", n, err)
	}
	e.put(t, u, "/A/h.txt", "autre")
	if _, err := e.s.Tree.Move(ctx, u, "/A/g.txt", "/A/h.txt", false); !errors.Is(err, ErrExists) {
		t.Errorf("move onto existing without overwrite: %v", err)
	}
	if _, err := e.s.Tree.Move(ctx, u, "/A/g.txt", "/A/h.txt", true); err != nil {
		t.Fatal(err)
	}
	if got := e.read(t, u, "/A/h.txt", 0); got != "contenu" {
		t.Errorf("overwritten = %q", got)
	}
	trash, _ := e.s.History.Trash(ctx, u)
	if len(trash) != 1 || trash[0].Name != "h.txt" {
		t.Errorf("overwritten file not in trash: %+v", trash)
	}
	if _, err := e.s.Tree.Mkdir(ctx, u, "/A2"); !errors.Is(err, ErrExists) {
		t.Errorf("mkdir existing: %v", err)
	}
	if _, err := e.s.Tree.Mkdir(ctx, u, "/nope/x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("mkdir without parent: %v", err)
	}
	if _, err := e.s.Tree.Mkdir(ctx, u, "/A/h.txt/x"); !errors.Is(err, ErrNotDir) {
		t.Errorf("mkdir under a file: %v", err)
	}
}

func TestPermissionsAdminMemberGuest(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.put(t, e.member, "/a.txt", "x")
	// A guest has no grant: the file does not exist for them.
	if _, err := e.s.Tree.Stat(ctx, e.guest, "/a.txt"); !errors.Is(err, ErrNotFound) {
		t.Errorf("guest stat: %v", err)
	}
	if _, _, err := e.s.Tree.Put(ctx, e.guest, "/b.txt", strings.NewReader("x"), PutOptions{Size: 1}); err == nil {
		t.Error("guest upload accepted")
	}
	if _, err := e.s.Tree.Stat(ctx, acl.Principal{}, "/a.txt"); !errors.Is(err, ErrNotFound) {
		t.Errorf("anonymous stat: %v", err)
	}
	// A viewer grant on a subfolder lets the guest walk down to it and read, not write.
	e.s.Tree.Mkdir(ctx, e.admin, "/Partenaires")
	e.s.Tree.Mkdir(ctx, e.admin, "/Partenaires/Fondation")
	e.s.Tree.Mkdir(ctx, e.admin, "/Partenaires/Autre")
	e.put(t, e.admin, "/Partenaires/Fondation/bilan.txt", "bilan")
	var fid int64
	e.s.db.R.QueryRow(`SELECT id FROM nodes WHERE name = 'Fondation'`).Scan(&fid)
	e.s.db.W.Exec(`INSERT INTO grants (node_id, principal_kind, principal_id, role, created_at) VALUES (?, 'user', ?, 'viewer', 0)`, fid, e.guest.UserID)
	_, kids, err := e.s.Tree.List(ctx, e.guest, "/")
	if err != nil || len(kids) != 1 || kids[0].Name != "Partenaires" {
		t.Fatalf("guest root listing: %+v %v", kids, err)
	}
	_, kids, _ = e.s.Tree.List(ctx, e.guest, "/Partenaires")
	if len(kids) != 1 || kids[0].Name != "Fondation" {
		t.Errorf("guest sees %+v", kids)
	}
	if got := e.read(t, e.guest, "/Partenaires/Fondation/bilan.txt", 0); got != "bilan" {
		t.Errorf("guest read %q", got)
	}
	if _, _, err := e.s.Tree.Put(ctx, e.guest, "/Partenaires/Fondation/x.txt", strings.NewReader("x"), PutOptions{Size: 1}); !errors.Is(err, ErrForbidden) {
		t.Errorf("viewer upload: %v", err)
	}
	if _, err := e.s.History.Open(ctx, e.guest, "/Partenaires/Autre", 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("guest open sibling: %v", err)
	}
	if err := e.s.Tree.Delete(ctx, e.guest, "/Partenaires/Fondation/bilan.txt"); !errors.Is(err, ErrForbidden) {
		t.Errorf("viewer delete: %v", err)
	}
}
