package s3

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"notreasso/internal/testutil/s3server"
	"notreasso/storage"
	"notreasso/storage/storagetest"
)

// A spool file is uploaded from the file itself (parts in parallel); the
// stored object must be exactly the file, and a file that is not exactly
// the announced size must still be refused.
func TestPutFromFile(t *testing.T) {
	srv := s3server.New(t)
	s := newStore(t, testConfig(srv, newBucketName()))
	ctx := t.Context()
	const size = 3*MinPartSize + 1234
	path := filepath.Join(t.TempDir(), "spool")
	writeFile := func(n int64) *os.File {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(f, storagetest.Stream(11, n)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	key := storagetest.StreamKey(t, 11, size)
	if err := s.Put(ctx, key, writeFile(size), size); err != nil {
		t.Fatalf("put from file: %v", err)
	}
	rc, err := s.Get(ctx, key, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, rc)
	rc.Close()
	if err != nil || n != size || hex.EncodeToString(h.Sum(nil)) != key {
		t.Fatalf("stored object: %d bytes, sha256 %x, %v", n, h.Sum(nil), err)
	}

	longer := storagetest.StreamKey(t, 11, size+1)
	if err := s.Put(ctx, longer, writeFile(size+1), size); !errors.Is(err, storage.ErrSizeMismatch) {
		t.Fatalf("file longer than announced: %v", err)
	}
	if _, err := s.Stat(ctx, longer); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("refused upload left an object: %v", err)
	}
}
