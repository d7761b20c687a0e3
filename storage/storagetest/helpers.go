package storagetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"notreasso/storage"
)

// nonMatchingPrefix returns a 4-digit hex prefix that no key in keys has.
func nonMatchingPrefix(keys []string) string {
	for i := 0; ; i++ {
		p := fmt.Sprintf("%04x", i)
		if !slices.ContainsFunc(keys, func(k string) bool { return strings.HasPrefix(k, p) }) {
			return p
		}
	}
}

func mustPut(t testing.TB, s storage.BlobStore, key string, data []byte) {
	t.Helper()
	if err := s.Put(t.Context(), key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Put(%s, %d bytes): %v", key, len(data), err)
	}
}

func mustGet(t testing.TB, s storage.BlobStore, key string, off, length int64) []byte {
	t.Helper()
	rc, err := s.Get(t.Context(), key, off, length)
	if err != nil {
		t.Fatalf("Get(%s, %d, %d): %v", key, off, length, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s: %v", key, err)
	}
	return b
}

// hashGet streams a blob through SHA-256 without buffering it.
func hashGet(t testing.TB, s storage.BlobStore, key string, off, length int64) string {
	t.Helper()
	rc, err := s.Get(t.Context(), key, off, length)
	if err != nil {
		t.Fatalf("Get(%s): %v", key, err)
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		t.Fatalf("reading %s: %v", key, err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func listAll(t testing.TB, s storage.BlobStore, prefix string) []string {
	t.Helper()
	var keys []string
	if err := s.List(t.Context(), prefix, func(bi storage.BlobInfo) error {
		keys = append(keys, bi.Key)
		return nil
	}); err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	slices.Sort(keys)
	return keys
}

// assertAbsent checks a failed Put left nothing visible under key.
func assertAbsent(t testing.TB, s storage.BlobStore, key string) {
	t.Helper()
	if info, err := s.Stat(t.Context(), key); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat(%s) = %+v, %v; want ErrNotFound", key, info, err)
	}
	if slices.Contains(listAll(t, s, ""), key) {
		t.Errorf("List still shows %s", key)
	}
}

func closeIfOpened(rc io.ReadCloser, err error) error {
	if rc != nil {
		rc.Close()
	}
	return err
}
