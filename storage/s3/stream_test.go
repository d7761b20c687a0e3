package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"notreasso/internal/testutil/s3server"
	"notreasso/storage"
	"notreasso/storage/storagetest"
)

// streamed uploads Stream(seed, size) through StreamPut and commits it.
func streamed(t *testing.T, s *Store, seed uint64, size int64) (string, storage.StreamPut) {
	t.Helper()
	key := storagetest.StreamKey(t, seed, size)
	_, st := storagetest.WriteStreamed(t, t.TempDir(), seed, size, func(path string) storage.StreamPut {
		st, err := s.StreamPut(t.Context(), path, size)
		if err != nil {
			t.Fatalf("StreamPut: %v", err)
		}
		return st
	})
	if err := st.Commit(t.Context(), key); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return key, st
}

// stagingObjects lists the staging folder behind the store's back.
func stagingObjects(t *testing.T, raw *minio.Client, s *Store) []string {
	t.Helper()
	var out []string
	for o := range raw.ListObjectsIter(t.Context(), s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + stagingDir, Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		out = append(out, o.Key)
	}
	return out
}

// rawSize is the size of the object at key as S3 has it (0 for a pointer).
func rawSize(t *testing.T, raw *minio.Client, s *Store, key string) int64 {
	t.Helper()
	info, err := raw.StatObject(t.Context(), s.bucket, s.objectName(key), minio.StatObjectOptions{})
	if err != nil {
		t.Fatalf("raw stat %s: %v", key, err)
	}
	return info.Size
}

// TestPointerWindow holds the finisher, so the blob is only a pointer to
// its staging object, and reads it through every path; then lets the
// finisher run and checks the blob is in place and the staging gone.
func TestPointerWindow(t *testing.T) {
	srv := s3server.New(t)
	raw := rawClient(t, srv)
	cfg := testConfig(srv, newBucketName())
	cfg.Prefix = "assoc"
	s := newStore(t, cfg)
	s.holdFinish = make(chan struct{})
	const size = storagetest.StreamSize
	key, _ := streamed(t, s, 31, size)

	if got := rawSize(t, raw, s, key); got != 0 {
		t.Fatalf("during the window the key holds %d bytes, want a zero-length pointer", got)
	}
	if st := stagingObjects(t, raw, s); len(st) != 1 {
		t.Fatalf("staging objects = %v, want 1", st)
	}
	storagetest.CheckBlob(t, s, key, 31, size)
	// A plain Put of the same content keeps the pointer.
	if err := s.Put(t.Context(), key, storagetest.Stream(31, size), size); err != nil {
		t.Fatalf("Put over a pointer: %v", err)
	}
	if got := rawSize(t, raw, s, key); got != 0 {
		t.Errorf("Put replaced the pointer (%d bytes)", got)
	}

	close(s.holdFinish)
	s.bg.Wait()
	if got := rawSize(t, raw, s, key); got != size {
		t.Fatalf("after the finisher the key holds %d bytes, want %d", got, size)
	}
	if st := stagingObjects(t, raw, s); len(st) != 0 {
		t.Errorf("staging objects left: %v", st)
	}
	storagetest.CheckBlob(t, s, key, 31, size)
}

// TestReadsDuringFinish reads the blob in a loop from several goroutines
// while the finisher copies it into place and deletes the staging object:
// every read must return the content.
func TestReadsDuringFinish(t *testing.T) {
	srv := s3server.New(t)
	s := newStore(t, testConfig(srv, newBucketName()))
	s.holdFinish = make(chan struct{})
	const size = storagetest.StreamSize
	key, _ := streamed(t, s, 32, size)
	want := make([]byte, 64)
	src := storagetest.Stream(32, size)
	io.CopyN(io.Discard, src, 6<<20)
	io.ReadFull(src, want)

	var stop atomic.Bool
	var reads atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				rc, err := s.Get(t.Context(), key, 6<<20, 64)
				if err != nil {
					errs <- err
					return
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || !bytes.Equal(got, want) {
					errs <- fmt.Errorf("a read returned other bytes: %d bytes, %v, %x", len(got), err, got[:min(len(got), 8)])
					return
				}
				if info, err := s.Stat(t.Context(), key); err != nil || info.Size != size {
					errs <- errors.New("Stat failed or reported another size")
					return
				}
				reads.Add(1)
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	close(s.holdFinish)
	s.bg.Wait()
	time.Sleep(100 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d reads during the move", reads.Load())
}

// TestDanglingPointer: a pointer whose staging object is gone (and stays
// gone) is an error, not an empty blob.
func TestDanglingPointer(t *testing.T) {
	srv := s3server.New(t)
	raw := rawClient(t, srv)
	s := newStore(t, testConfig(srv, newBucketName()))
	key := strings.Repeat("ab", 32)
	if _, err := raw.PutObject(t.Context(), s.bucket, s.objectName(key), strings.NewReader(""), 0, minio.PutObjectOptions{
		UserMetadata: map[string]string{metaStaged: "0123456789abcdef", metaSize: "1000"}}); err != nil {
		t.Fatal(err)
	}
	if info, err := s.Stat(t.Context(), key); err != nil || info.Size != 1000 {
		t.Errorf("Stat of a pointer = %+v, %v; want its size 1000", info, err)
	}
	for _, off := range []int64{0, 10} {
		rc, err := s.Get(t.Context(), key, off, -1)
		if err == nil {
			rc.Close()
			t.Errorf("Get(%d) through a dangling pointer succeeded", off)
		}
	}
}

// TestDeletePointer deletes a blob during the window: the pointer and the
// staging object go, and the finisher, released after, does not bring the
// blob back.
func TestDeletePointer(t *testing.T) {
	srv := s3server.New(t)
	raw := rawClient(t, srv)
	s := newStore(t, testConfig(srv, newBucketName()))
	s.holdFinish = make(chan struct{})
	key, _ := streamed(t, s, 33, storagetest.StreamSize)
	if err := s.Delete(t.Context(), key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if st := stagingObjects(t, raw, s); len(st) != 0 {
		t.Errorf("staging objects after Delete: %v", st)
	}
	close(s.holdFinish)
	s.bg.Wait()
	if _, err := s.Stat(t.Context(), key); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat after Delete and finisher: %v, want ErrNotFound", err)
	}
}

// TestDedupeStreamed: streaming content the store already holds leaves no
// staging object and does not touch the blob.
func TestDedupeStreamed(t *testing.T) {
	srv := s3server.New(t)
	raw := rawClient(t, srv)
	s := newStore(t, testConfig(srv, newBucketName()))
	const size = storagetest.StreamSize
	key := storagetest.StreamKey(t, 34, size)
	if err := s.Put(t.Context(), key, storagetest.Stream(34, size), size); err != nil {
		t.Fatal(err)
	}
	before, err := raw.StatObject(t.Context(), s.bucket, s.objectName(key), minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	streamed(t, s, 34, size)
	s.bg.Wait()
	after, err := raw.StatObject(t.Context(), s.bucket, s.objectName(key), minio.StatObjectOptions{})
	if err != nil || after.ETag != before.ETag || after.Size != size {
		t.Errorf("blob after a duplicate upload: %+v, %v; want it untouched (%s)", after, err, before.ETag)
	}
	if st := stagingObjects(t, raw, s); len(st) != 0 {
		t.Errorf("staging objects left: %v", st)
	}
}

// TestRecoverStaged plays a crash: a pointer whose finisher never ran (the
// process "died"), a staging object whose upload never committed, and one
// whose content is stored already. A store opened afterwards (a restarted
// server) finishes the first and removes the others; it leaves alone the
// uploads its own process is working on.
func TestRecoverStaged(t *testing.T) {
	srv := s3server.New(t)
	raw := rawClient(t, srv)
	cfg := testConfig(srv, newBucketName())
	dead := newStore(t, cfg)
	dead.holdFinish = make(chan struct{}) // never released: the process died
	t.Cleanup(func() { dead.bgCancel() })
	const size = storagetest.StreamSize
	pointed, _ := streamed(t, dead, 35, size)

	// Never committed: a staging object with no pointer.
	orphan := dead.stagingName(newStagingID())
	if _, err := raw.PutObject(t.Context(), cfg.Bucket, orphan, storagetest.Stream(36, 6<<20), 6<<20, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	// Committed by another upload meanwhile: the key holds the real blob.
	storedKey := storagetest.StreamKey(t, 37, 6<<20)
	if err := dead.Put(t.Context(), storedKey, storagetest.Stream(37, 6<<20), 6<<20); err != nil {
		t.Fatal(err)
	}
	dup := dead.stagingName(newStagingID())
	if _, err := raw.PutObject(t.Context(), cfg.Bucket, dup, storagetest.Stream(37, 6<<20), 6<<20, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}

	// The dying process's own sweep skips what it owns.
	if fin, rm, err := dead.RecoverStaged(t.Context(), 0, 0); err != nil || fin != 0 || rm != 2 {
		t.Errorf("RecoverStaged in the uploading process = %d finished, %d removed, %v; want 0, 2", fin, rm, err)
	}
	if got := rawSize(t, raw, dead, pointed); got != 0 {
		t.Fatalf("the pointer was replaced (%d bytes) by a sweep that does not own it", got)
	}

	restarted := newStore(t, cfg)
	if fin, rm, err := restarted.RecoverStaged(t.Context(), time.Hour, time.Hour); err != nil || fin+rm != 0 {
		t.Errorf("RecoverStaged of recent objects = %d, %d, %v; want nothing done", fin, rm, err)
	}
	// Finishing is always safe; removing waits for removeAfter.
	if fin, rm, err := restarted.RecoverStaged(t.Context(), 0, time.Hour); err != nil || fin != 1 || rm != 0 {
		t.Errorf("RecoverStaged after the crash = %d finished, %d removed, %v; want 1, 0", fin, rm, err)
	}
	if got := rawSize(t, raw, restarted, pointed); got != size {
		t.Errorf("after recovery the key holds %d bytes, want %d", got, size)
	}
	if st := stagingObjects(t, raw, restarted); len(st) != 0 {
		t.Errorf("staging objects left: %v", st)
	}
	storagetest.CheckBlob(t, restarted, pointed, 35, size)
	storagetest.CheckBlob(t, restarted, storedKey, 37, 6<<20)
}

// TestServerKilledMidStream kills S3 while a streamed upload is being
// written: Commit fails as unavailable, nothing is stored, and once S3 is
// back the same upload succeeds.
func TestServerKilledMidStream(t *testing.T) {
	srv := s3server.New(t)
	s := newStore(t, testConfig(srv, newBucketName()))
	const size = 40 << 20
	key := storagetest.StreamKey(t, 38, size)
	written := 0
	_, st := storagetest.WriteStreamed(t, t.TempDir(), 38, size, func(path string) storage.StreamPut {
		st, err := s.StreamPut(t.Context(), path, size)
		if err != nil {
			t.Fatal(err)
		}
		return &killAt{StreamPut: st, at: 20 << 20, kill: srv.Kill, n: &written}
	})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	err := st.Commit(ctx, key)
	if err == nil {
		t.Fatal("Commit succeeded although the server was killed mid-upload")
	}
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Commit with the server down: %v, want ErrUnavailable", err)
	}
	t.Logf("Commit: %v", err)
	srv.Start()
	assertAbsentS3(t, s, key)
	streamed(t, s, 38, size)
	storagetest.CheckBlob(t, s, key, 38, size)
}

// killAt kills the server once the writer passes byte at.
type killAt struct {
	storage.StreamPut
	at   int64
	kill func()
	n    *int
}

func (k *killAt) Written(n int64) {
	if n >= k.at && *k.n == 0 {
		*k.n = 1
		k.kill()
	}
	k.StreamPut.Written(n)
}

func assertAbsentS3(t *testing.T, s *Store, key string) {
	t.Helper()
	if _, err := s.Stat(t.Context(), key); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat(%s) = %v, want ErrNotFound", key, err)
	}
}

// TestStreamedPartsCarryChecksum: with UnsignedContent, each part carries
// its CRC32C and the S3 server refuses a part whose bytes do not match it
// (the header must be one the server knows, or nothing would be checked);
// streamed uploads work both ways.
func TestStreamedPartsCarryChecksum(t *testing.T) {
	srv := s3server.New(t)
	cfg := testConfig(srv, newBucketName())
	if s := newStore(t, cfg); s.unsigned {
		t.Fatal("parts are unsigned by default")
	}
	cfg.UnsignedContent = true
	s := newStore(t, cfg)
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good"), filepath.Join(dir, "bad")
	const n = MinPartSize
	body := bytes.Repeat([]byte("compte rendu "), n/13+1)[:n]
	if err := os.WriteFile(good, body, 0o600); err != nil {
		t.Fatal(err)
	}
	body[n/2] ^= 1
	if err := os.WriteFile(bad, body, 0o600); err != nil {
		t.Fatal(err)
	}
	gf, err := os.Open(good)
	if err != nil {
		t.Fatal(err)
	}
	defer gf.Close()
	bf, err := os.Open(bad)
	if err != nil {
		t.Fatal(err)
	}
	defer bf.Close()
	opts, err := s.partOptions(gf, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	if !opts.DisableContentSha256 || opts.CustomHeader.Get("X-Amz-Checksum-Crc32c") == "" {
		t.Fatalf("part options %+v: want an unsigned payload with a CRC32C", opts)
	}
	name := s.stagingName(newStagingID())
	id, err := s.core.NewMultipartUpload(t.Context(), s.bucket, name, s.streamOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.core.AbortMultipartUpload(context.Background(), s.bucket, name, id)
	if _, err := s.core.PutObjectPart(t.Context(), s.bucket, name, id, 1, io.NewSectionReader(bf, 0, n), n, opts); err == nil {
		t.Fatal("a part whose bytes differ from its CRC32C was accepted")
	}
	part, err := s.core.PutObjectPart(t.Context(), s.bucket, name, id, 1, io.NewSectionReader(gf, 0, n), n, opts)
	if err != nil {
		t.Fatalf("the part matching its CRC32C: %v", err)
	}
	if part.ChecksumCRC32C != opts.CustomHeader.Get("X-Amz-Checksum-Crc32c") {
		t.Errorf("the server recorded CRC32C %q, sent %q", part.ChecksumCRC32C, opts.CustomHeader.Get("X-Amz-Checksum-Crc32c"))
	}

	for _, unsigned := range []bool{false, true} {
		cfg := testConfig(srv, newBucketName())
		cfg.UnsignedContent = unsigned
		s := newStore(t, cfg)
		key, _ := streamed(t, s, 77, storagetest.StreamSize)
		s.bg.Wait()
		storagetest.CheckBlob(t, s, key, 77, storagetest.StreamSize)
	}
}
