package main

import (
	"os"
	"path/filepath"
	"testing"
)

// A work directory left by an earlier run is emptied; someone else's
// directory is never touched.
func TestPrepareWorkDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "work")
	if err := prepareWorkDir(dir); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "docs", "meta.db")
	if err := os.MkdirAll(filepath.Dir(old), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(old, []byte("previous run"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := prepareWorkDir(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Fatalf("the previous run's data survived: %v", err)
	}

	other := t.TempDir()
	mine := filepath.Join(other, "notes.txt")
	if err := os.WriteFile(mine, []byte("not the bench's"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := prepareWorkDir(other); err == nil {
		t.Fatal("a non-empty directory the bench did not make was accepted")
	}
	if _, err := os.Stat(mine); err != nil {
		t.Fatalf("someone else's file was removed: %v", err)
	}
}
