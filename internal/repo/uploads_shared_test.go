package repo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
	"notreasso/internal/testutil/s3server"
	"notreasso/internal/testutil/testdb"
	"notreasso/storage/s3"
)

// twoServers is two repositories on one database and one S3 bucket, each
// with its own spool directory, as two servers behind a load balancer.
func twoServers(t *testing.T) (a, b *env, bucket *s3.Store) {
	t.Helper()
	srv := s3server.New(t)
	dir := t.TempDir()
	db, err := meta.Open(context.Background(), testdb.DSN(t, dir), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bucket, err = s3.New(t.Context(), s3.Config{Endpoint: srv.Endpoint, Region: s3server.Region, Bucket: "partage",
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, PathStyle: true, PartSize: s3.MinPartSize,
		CreateBucket: true, MaxRetries: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bucket.Close() })
	open := func(name string) *env {
		s, err := New(db, bucket, Options{MaxUpload: 1 << 30, SpoolDir: filepath.Join(dir, name)})
		if err != nil {
			t.Fatal(err)
		}
		return &env{s: s, dir: dir}
	}
	a, b = open("a"), open("b")
	a.admin = a.addUser(t, "admin", acl.Admin)
	b.admin = a.admin
	return a, b, bucket
}

// spoolFiles counts the files under a server's spool directory.
// spoolFiles counts the files of partial uploads in e's spool, not the
// empty ones made ahead for the next uploads (spares.go).
func spoolFiles(t *testing.T, e *env) int {
	n := 0
	filepath.WalkDir(e.s.opts.SpoolDir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), sparePrefix) {
			n++
		}
		return nil
	})
	return n
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// With the blobs in S3, an upload started through one server goes on
// through the other: numbered parts sent to both and committed on the
// second, appended parts cut on the first and resumed on the second. The
// parts live in the bucket, not in either server's spool, and go with the
// commit; an idle upload is swept by either server.
func TestUploadSharedAcrossServers(t *testing.T) {
	a, b, bucket := twoServers(t)
	ctx := context.Background()

	// The sync apps' chunking: MKCOL, parts 1 and 2 on A, 3 on B, MOVE on B.
	if _, err := a.s.Uploads.Create(ctx, a.admin, UploadSpec{ID: "sync-1", Size: -1}); err != nil {
		t.Fatal(err)
	}
	parts := []string{strings.Repeat("un-", 1000), strings.Repeat("deux-", 1000), "trois."}
	for i, body := range parts {
		srv := []*env{a, a, b}[i]
		if err := srv.s.Uploads.PutPart(ctx, srv.admin, "sync-1", []string{"00001", "00002", "00003"}[i], strings.NewReader(body), int64(len(body))); err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
	}
	if u, err := b.s.Uploads.Get(ctx, b.admin, "sync-1"); err != nil || len(u.Parts) != 3 {
		t.Fatalf("B sees the upload as %+v, %v", u, err)
	}
	if n := spoolFiles(t, a) + spoolFiles(t, b); n != 0 {
		t.Errorf("%d part files in the servers' spools: parts must be in the bucket", n)
	}
	n, created, err := b.s.Uploads.Commit(ctx, b.admin, "sync-1", UploadCommit{Path: "/sync.txt", Size: -1})
	want := strings.Join(parts, "")
	if err != nil || !created || n.Hash != sha(want) {
		t.Fatalf("commit on B: %+v %v %v, want hash %s", n, created, err, sha(want))
	}
	if got := readAll(t, a, a.admin, "/sync.txt"); got != want {
		t.Errorf("content read on A: %d bytes, want %d", len(got), len(want))
	}

	// The web UI's resumable upload: cut on A after 4 bytes, resumed on B.
	u, err := a.s.Uploads.Create(ctx, a.admin, UploadSpec{Path: "/web.txt", Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.s.Uploads.Append(ctx, a.admin, u.ID, 0, io.MultiReader(strings.NewReader("0123"), errReader{}), 6)
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("cut part on A: %v, want ErrIncomplete", err)
	}
	if u, err = b.s.Uploads.Get(ctx, b.admin, u.ID); err != nil || u.Received != 4 {
		t.Fatalf("B sees %d bytes received (%v), want 4", u.Received, err)
	}
	if _, err := b.s.Uploads.Append(ctx, b.admin, u.ID, 0, strings.NewReader("0123"), 4); !isOffset(err, 4) {
		t.Fatalf("a part B already has: %v, want an offset error at 4", err)
	}
	if _, err := b.s.Uploads.Append(ctx, b.admin, u.ID, 4, strings.NewReader("456789"), 6); err != nil {
		t.Fatal(err)
	}
	if n, _, err = a.s.Uploads.Commit(ctx, a.admin, u.ID, UploadCommit{Size: -1}); err != nil || n.Hash != sha("0123456789") {
		t.Fatalf("commit on A: %+v %v", n, err)
	}
	for _, dir := range []string{uploadsPrefix, uploadsPrefix + "/1-sync-1"} {
		if left, err := bucket.ListNamed(ctx, dir); err != nil || len(left) != 0 {
			t.Errorf("objects left under %s/ after the commits: %v %v", dir, left, err)
		}
	}

	// An upload idle for a day started on A is swept by B, on the
	// repository's clock.
	clk := a.withClock(time.Now())
	b.s.now = clk.now
	if _, err := a.s.Uploads.Create(ctx, a.admin, UploadSpec{ID: "oubli", Size: -1}); err != nil {
		t.Fatal(err)
	}
	if err := a.s.Uploads.PutPart(ctx, a.admin, "oubli", "1", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	clk.set(clk.now().Add(UploadIdle - time.Minute))
	if n, err := b.s.Uploads.Sweep(ctx); n != 0 || err != nil {
		t.Fatalf("B swept %d (%v) before the upload was idle a day", n, err)
	}
	clk.set(clk.now().Add(2 * time.Minute))
	if n, err := b.s.Uploads.Sweep(ctx); n != 1 || err != nil {
		t.Fatalf("B swept %d (%v), want 1", n, err)
	}
	if _, err := a.s.Uploads.Get(ctx, a.admin, "oubli"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the swept upload on A: %v", err)
	}
	for _, dir := range []string{uploadsPrefix, uploadsPrefix + "/1-oubli"} {
		if left, err := bucket.ListNamed(ctx, dir); err != nil || len(left) != 0 {
			t.Errorf("objects left under %s/ after the sweep: %v %v", dir, left, err)
		}
	}
	if n := spoolFiles(t, a) + spoolFiles(t, b); n != 0 {
		t.Errorf("%d temporary files left in the spools", n)
	}
}

// blockingReader gives its bytes once let go.
type blockingReader struct {
	started chan struct{}
	let     chan struct{}
	r       io.Reader
}

func (b *blockingReader) Read(p []byte) (int, error) {
	if b.started != nil {
		close(b.started)
		b.started = nil
		<-b.let
	}
	return b.r.Read(p)
}

// Two servers writing one upload at once: while A's request is storing a
// part, B refuses to write to the same upload (busy, the client retries)
// instead of both storing the same range. A lock left by a server that
// died stops counting after lockTTL.
func TestUploadClaimAcrossServers(t *testing.T) {
	a, b, _ := twoServers(t)
	ctx := context.Background()
	u, err := a.s.Uploads.Create(ctx, a.admin, UploadSpec{Path: "/ensemble.txt", Size: 8})
	if err != nil {
		t.Fatal(err)
	}
	slow := &blockingReader{started: make(chan struct{}), let: make(chan struct{}), r: strings.NewReader("0123")}
	started := slow.started
	done := make(chan error, 1)
	go func() {
		_, err := a.s.Uploads.Append(ctx, a.admin, u.ID, 0, slow, 4)
		done <- err
	}()
	<-started
	if _, err := b.s.Uploads.Append(ctx, b.admin, u.ID, 0, strings.NewReader("0123"), 4); !errors.Is(err, ErrUploadBusy) {
		t.Errorf("B writing while A writes: %v, want ErrUploadBusy", err)
	}
	if _, _, err := b.s.Uploads.Commit(ctx, b.admin, u.ID, UploadCommit{Size: -1}); !errors.Is(err, ErrUploadBusy) {
		t.Errorf("B committing while A writes: %v, want ErrUploadBusy", err)
	}
	close(slow.let)
	if err := <-done; err != nil {
		t.Fatalf("A's part: %v", err)
	}
	if _, err := b.s.Uploads.Append(ctx, b.admin, u.ID, 4, strings.NewReader("4567"), 4); err != nil {
		t.Fatalf("B after A: %v", err)
	}

	// A lock whose holder stopped renewing it (a killed server).
	clk := a.withClock(time.Now())
	b.s.now = clk.now
	key := "upload:" + strconv.FormatInt(a.admin.UserID, 10) + "/" + u.ID
	if _, err := a.s.db.W.ExecContext(ctx, `INSERT INTO maintenance_locks (name, holder, acquired_at, expires_at) VALUES (?, 'mort', ?, ?)`,
		key, clk.now().UnixNano(), clk.now().Add(lockTTL).UnixNano()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.s.Uploads.Commit(ctx, b.admin, u.ID, UploadCommit{Size: -1}); !errors.Is(err, ErrUploadBusy) {
		t.Fatalf("commit under a live lock: %v, want ErrUploadBusy", err)
	}
	clk.set(clk.now().Add(lockTTL + time.Second))
	n, _, err := b.s.Uploads.Commit(ctx, b.admin, u.ID, UploadCommit{Size: -1})
	if err != nil || n.Hash != sha("01234567") {
		t.Fatalf("commit after the dead server's lock expired: %+v %v", n, err)
	}
}
