package transfer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"sync/atomic"
	"testing"

	"notreasso/internal/testutil/s3server"
	"notreasso/storage"
	blobfs "notreasso/storage/fs"
	"notreasso/storage/s3"
)

func hexSum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func putBlob(t *testing.T, st storage.BlobStore, key string, content []byte) {
	t.Helper()
	if err := st.Put(t.Context(), key, bytes.NewReader(content), int64(len(content))); err != nil {
		t.Fatal(err)
	}
}

func readBlob(t *testing.T, st storage.BlobStore, key string) []byte {
	t.Helper()
	r, err := st.Get(t.Context(), key, 0, -1)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newBucketStore(t *testing.T, srv *s3server.Server, bucket string) *s3.Store {
	t.Helper()
	st, err := s3.New(t.Context(), s3.Config{Endpoint: srv.Endpoint, Region: s3server.Region, Bucket: bucket,
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, PathStyle: true, PartSize: s3.MinPartSize,
		CreateBucket: true, MaxRetries: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestMigrate copies a local store to a real S3 server (versitygw), is
// interrupted, resumed, meets a corrupt source blob and a damaged copy at
// the destination, and copies the result back to a fresh local store.
func TestMigrate(t *testing.T) {
	ctx := t.Context()
	srv := s3server.New(t)
	local, err := blobfs.New(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	bucket := newBucketStore(t, srv, "migrate")

	rng := rand.New(rand.NewPCG(1, 2))
	want := map[string][]byte{}
	sizes := []int{0, 1, 100, 4096, 70000, 6 << 20} // the last one is a multipart upload
	for i := range 14 {
		b := make([]byte, sizes[i%len(sizes)]+i)
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		key := hexSum(b)
		want[key] = b
		putBlob(t, local, key, b)
	}
	// A corrupt source blob: its content does not hash to its key.
	badKey := hexSum([]byte("the original content"))
	putBlob(t, local, badKey, []byte("bit rot changed this"))
	// A damaged copy already in the bucket: too short.
	for k, b := range want {
		if len(b) > 10 {
			putBlob(t, bucket, k, b[:len(b)/2])
			break
		}
	}

	// First run: interrupted after 5 blobs.
	runCtx, cancel := context.WithCancel(ctx)
	var done, replaced atomic.Int32
	rep, err := Migrate(runCtx, local, bucket, MigrateOptions{Workers: 1, OnBlob: func(key string, o Outcome) {
		if o == Replaced {
			replaced.Add(1)
		}
		if (o == Copied || o == Replaced) && done.Add(1) == 5 {
			cancel()
		}
	}})
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err = %v, want context.Canceled", err)
	}
	if rep.Copied != 5 || rep.Blobs != len(want)+1 {
		t.Fatalf("interrupted run: %+v", rep)
	}

	// Second run: resumes.
	var progressed atomic.Int64
	var listed int64
	rep, err = Migrate(ctx, local, bucket, MigrateOptions{
		OnList:     func(_ int, b int64) { listed = b },
		OnProgress: func(n int64) { progressed.Add(n) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("resumed run: %+v", rep)
	if rep.Present != 5 || rep.Copied != len(want)-5 || int(replaced.Load())+rep.Replaced != 1 || len(rep.Failed) != 0 {
		t.Fatalf("resumed run: %+v", rep)
	}
	if len(rep.Corrupt) != 1 || rep.Corrupt[0] != badKey || rep.Complete() {
		t.Fatalf("corrupt blob not reported: %+v", rep)
	}
	if progressed.Load() < listed-int64(len("bit rot changed this")) {
		t.Errorf("progress %d of %d bytes", progressed.Load(), listed)
	}
	if _, err := bucket.Stat(ctx, badKey); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("corrupt blob was copied: %v", err)
	}
	for k, b := range want {
		if got := readBlob(t, bucket, k); !bytes.Equal(got, b) {
			t.Fatalf("blob %s: %d bytes in the bucket, want %d", k, len(got), len(b))
		}
	}

	// Third run: nothing left to do.
	rep, err = Migrate(ctx, local, bucket, MigrateOptions{})
	if err != nil || rep.Present != len(want) || rep.Copied != 0 || len(rep.Corrupt) != 1 {
		t.Fatalf("third run: %+v, %v", rep, err)
	}

	// And back, from the bucket to a fresh local store.
	back, err := blobfs.New(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	badKey2 := hexSum([]byte("what was uploaded"))
	putBlob(t, bucket, badKey2, []byte("what the bucket holds now"))
	rep, err = Migrate(ctx, bucket, back, MigrateOptions{Workers: 3})
	if err != nil || rep.Copied != len(want) || len(rep.Corrupt) != 1 || rep.Corrupt[0] != badKey2 {
		t.Fatalf("back to fs: %+v, %v", rep, err)
	}
	if _, err := back.Stat(ctx, badKey2); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("corrupt blob was copied to disk: %v", err)
	}
	for k, b := range want {
		if got := readBlob(t, back, k); !bytes.Equal(got, b) {
			t.Fatalf("blob %s: %d bytes back on disk, want %d", k, len(got), len(b))
		}
	}
}

// TestMigrateUnavailable stops at once, with storage.ErrUnavailable, when
// the destination server is down, and completes once it is back.
func TestMigrateUnavailable(t *testing.T) {
	ctx := t.Context()
	srv := s3server.New(t)
	local, err := blobfs.New(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	bucket := newBucketStore(t, srv, "down")
	for i := range 20 {
		b := fmt.Appendf(nil, "blob %d", i)
		putBlob(t, local, hexSum(b), b)
	}
	srv.Kill()
	rep, err := Migrate(ctx, local, bucket, MigrateOptions{})
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("err = %v, want storage.ErrUnavailable", err)
	}
	if len(rep.Failed) != 0 || rep.Copied != 0 {
		t.Fatalf("with the server down: %+v", rep)
	}
	srv.Start()
	rep, err = Migrate(ctx, local, bucket, MigrateOptions{})
	if err != nil || !rep.Complete() || rep.Copied != 20 {
		t.Fatalf("after restart: %+v, %v", rep, err)
	}
}
