package storagetest

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"notreasso/storage"
)

// StreamSize is the size of the blobs of the streamed-upload tests: several
// parts at S3's minimum part size, and a short last part.
const StreamSize = multiPart

// WriteStreamed writes Stream(seed, size) to a new file in dir while st
// uploads it, reporting progress after each MiB as the upload spool does,
// and returns the file's path.
func WriteStreamed(t testing.TB, dir string, seed uint64, size int64, begin func(path string) storage.StreamPut) (string, storage.StreamPut) {
	t.Helper()
	f, err := os.CreateTemp(dir, "spool-*")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st := begin(f.Name())
	if st == nil {
		t.Fatalf("StreamPut of %d bytes returned no upload", size)
	}
	src := Stream(seed, size)
	buf := make([]byte, 1<<20)
	var n int64
	for {
		m, rerr := src.Read(buf)
		if m > 0 {
			if _, err := f.Write(buf[:m]); err != nil {
				st.Abort()
				t.Fatal(err)
			}
			n += int64(m)
			st.Written(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			st.Abort()
			t.Fatal(rerr)
		}
	}
	return f.Name(), st
}

// testStreamPut checks storage.StreamPutter: what Commit stores reads like
// what Put stores, a second upload of the same content keeps the first,
// and an aborted or short upload leaves nothing.
func testStreamPut(t *testing.T, s storage.BlobStore) {
	sp, ok := s.(storage.StreamPutter)
	if !ok {
		t.Skip("the store does not stream uploads")
	}
	ctx := t.Context()
	dir := t.TempDir()
	begin := func(path string) storage.StreamPut {
		st, err := sp.StreamPut(ctx, path, StreamSize)
		if err != nil {
			t.Fatalf("StreamPut: %v", err)
		}
		return st
	}
	key := StreamKey(t, 21, StreamSize)
	_, st := WriteStreamed(t, dir, 21, StreamSize, begin)
	if err := st.Commit(ctx, key); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	st.Abort() // no-op after Commit
	CheckBlob(t, s, key, 21, StreamSize)

	// The same content again: kept, readable, nothing else appears.
	_, st = WriteStreamed(t, dir, 21, StreamSize, begin)
	if err := st.Commit(ctx, key); err != nil {
		t.Fatalf("Commit of existing content: %v", err)
	}
	CheckBlob(t, s, key, 21, StreamSize)
	if keys := listAll(t, s, ""); len(keys) != 1 || keys[0] != key {
		t.Errorf("List after two uploads of one content = %v, want [%s]", keys, key)
	}

	// Aborted: nothing under the key.
	other := StreamKey(t, 22, StreamSize)
	_, st = WriteStreamed(t, dir, 22, StreamSize, begin)
	st.Abort()
	if err := st.Commit(ctx, other); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	assertAbsent(t, s, other)

	// Short: Commit refuses, nothing stored.
	f, err := os.Create(filepath.Join(dir, "short"))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	st = begin(f.Name())
	st.Written(StreamSize - 1)
	if err := st.Commit(ctx, other); !errors.Is(err, storage.ErrSizeMismatch) {
		t.Errorf("Commit of a short upload: %v, want ErrSizeMismatch", err)
	}
	assertAbsent(t, s, other)

	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	assertAbsent(t, s, key)
	if keys := listAll(t, s, ""); len(keys) != 0 {
		t.Errorf("List after Delete = %v", keys)
	}
}

// CheckBlob checks that key holds Stream(seed, size) through every read
// path: Stat, List, a whole Get, ranges across the first part boundary and
// at the end.
func CheckBlob(t testing.TB, s storage.BlobStore, key string, seed uint64, size int64) {
	t.Helper()
	ctx := t.Context()
	info, err := s.Stat(ctx, key)
	if err != nil || info.Size != size {
		t.Fatalf("Stat = %+v, %v; want size %d", info, err, size)
	}
	found := false
	err = s.List(ctx, key[:4], func(b storage.BlobInfo) error {
		if b.Key == key {
			found = true
			if b.Size != size {
				t.Errorf("List reports %d bytes for %s, want %d", b.Size, key, size)
			}
		}
		return nil
	})
	if err != nil || !found {
		t.Errorf("List: found %v, %v", found, err)
	}
	if got := hashGet(t, s, key, 0, -1); got != key {
		t.Errorf("Get whole: SHA-256 %s, want %s", got, key)
	}
	whole := func(off, n int64) []byte {
		src := Stream(seed, size)
		if _, err := io.CopyN(io.Discard, src, off); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(io.LimitReader(src, n))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, r := range [][2]int64{{0, 100}, {5<<20 - 10, 20}, {size - 7, 7}, {size - 7, 100}, {size - 3, -1}} {
		got := mustGet(t, s, key, r[0], r[1])
		want := whole(r[0], min(size-r[0], r[1]))
		if r[1] < 0 {
			want = whole(r[0], size-r[0])
		}
		if string(got) != string(want) {
			t.Errorf("Get(%d, %d): %d bytes differ from the content's", r[0], r[1], len(got))
		}
	}
	if got := mustGet(t, s, key, size, -1); len(got) != 0 {
		t.Errorf("Get at the end: %d bytes", len(got))
	}
	if rc, err := s.Get(ctx, key, size+1, -1); closeIfOpened(rc, err) == nil {
		t.Errorf("Get past the end succeeded")
	}
}
