package fs

import (
	"context"
	"errors"
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
	if want := filepath.Join(s.root, key[:2], key[2:4], key); p != want {
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
