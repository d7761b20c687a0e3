package fs

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"notreasso/internal/metrics"
	"notreasso/storage"
	"notreasso/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.BlobStore {
		s, err := New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestConformanceObserved runs the suite on the store as the server uses
// it: wrapped for metrics.
func TestConformanceObserved(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.BlobStore {
		s, err := New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return metrics.ObserveStore(s, "fs")
	})
}

func TestPutFileRenamesAndLayout(t *testing.T) {
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("contenu du procès-verbal")
	key := storagetest.Key(data)
	tmp := filepath.Join(s.TempDir(), "spool-x")
	os.WriteFile(tmp, data, 0o600)
	if err := s.PutFile(context.Background(), key, tmp); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("spool file still there after PutFile: %v", err)
	}
	p, _ := s.LocalPath(key)
	if want := filepath.Join(s.root, key[:2], key); p != want {
		t.Errorf("path %s, want %s", p, want)
	}
	if st, err := os.Stat(p); err != nil || st.Mode().Perm()&0o222 != 0 {
		t.Errorf("stored blob must be read-only: %v %v", st.Mode(), err)
	}
}

// TestMissingBlobErrorNamesNoServerPath: the error of a missing blob
// reaches clients (a 404's message), so it names the key, never the
// store's directory on the server.
func TestMissingBlobErrorNamesNoServerPath(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	key := storagetest.Key([]byte("absent"))
	_, gerr := s.Get(context.Background(), key, 0, -1)
	_, serr := s.Stat(context.Background(), key)
	derr := s.Delete(context.Background(), key)
	for name, err := range map[string]error{"Get": gerr, "Stat": serr, "Delete": derr} {
		if !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
			continue
		}
		if strings.Contains(err.Error(), dir) || strings.Contains(err.Error(), string(filepath.Separator)+key[:2]+string(filepath.Separator)) {
			t.Errorf("%s: the message names a server path: %v", name, err)
		}
	}
}

// TestLegacyLayout: a store made by an older version keeps its blobs in
// two levels (root/ab/cd/key). Opened now, every blob is still read,
// listed, found for deduplication and deleted where it is, while new
// blobs go to the one-level place; a store made now is marked and does
// not look twice.
func TestLegacyLayout(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old := []byte("statuts de 2019")
	oldKey := storagetest.Key(old)
	oldPath := filepath.Join(dir, oldKey[:2], oldKey[2:4], oldKey)
	if err := os.MkdirAll(filepath.Dir(oldPath), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(oldPath, old, 0o440); err != nil {
		t.Fatal(err)
	}
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !s.legacy {
		t.Fatal("a store holding two-level blobs is not read as legacy")
	}
	if _, err := os.Stat(filepath.Join(dir, layoutFile)); !os.IsNotExist(err) {
		t.Errorf("a legacy store was marked one-level: %v", err)
	}
	rc, err := s.Get(ctx, oldKey, 0, -1)
	if err != nil {
		t.Fatalf("Get of a two-level blob: %v", err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != string(old) {
		t.Errorf("Get read %q", got)
	}
	if st, err := s.Stat(ctx, oldKey); err != nil || st.Size != int64(len(old)) {
		t.Errorf("Stat of a two-level blob: %+v %v", st, err)
	}
	if p, _ := s.LocalPath(oldKey); p != oldPath {
		t.Errorf("LocalPath %s, want %s", p, oldPath)
	}
	// Putting the same content again finds it: no second copy.
	if err := s.Put(ctx, oldKey, strings.NewReader(string(old)), int64(len(old))); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.path(oldKey)); !os.IsNotExist(err) {
		t.Errorf("the same content was stored a second time: %v", err)
	}
	fresh := []byte("compte rendu de 2026")
	freshKey := storagetest.Key(fresh)
	if err := s.Put(ctx, freshKey, strings.NewReader(string(fresh)), int64(len(fresh))); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, freshKey[:2], freshKey)); err != nil {
		t.Errorf("a new blob is not in the one-level place: %v", err)
	}
	var listed []string
	if err := s.List(ctx, "", func(b storage.BlobInfo) error { listed = append(listed, b.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2 {
		t.Errorf("List gave %v, want both layouts' blobs", listed)
	}
	if err := s.Delete(ctx, oldKey); err != nil {
		t.Errorf("Delete of a two-level blob: %v", err)
	}
	if _, err := os.Stat(oldPath); !os.IsNotExist(err) {
		t.Errorf("the two-level blob is still there: %v", err)
	}

	n, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if n.legacy {
		t.Error("a new store is read as legacy")
	}
	// Opened again, the marker keeps it one-level.
	if again, err := New(n.root); err != nil || again.legacy {
		t.Errorf("a reopened new store: legacy %v, %v", again != nil && again.legacy, err)
	}
}
