package meta

import (
	"os"
	"path/filepath"
	"testing"
)

// TestStamp: a value read from the database is trusted again only while
// the stamp holds it; an announcement not (yet) committed, a missing or a
// foreign stamp make the reader read the database again.
func TestStamp(t *testing.T) {
	db, path := testSQLite(t)
	reader, writer := db.Stamp("test"), db.Stamp("test") // two processes
	if reader == nil {
		t.Fatal("no stamp for a SQLite database in a file")
	}
	if _, ok := reader.Current(); ok {
		t.Fatal("a value is trusted before any was read")
	}
	reader.Remember(7) // no stamp yet: nothing to match
	if _, ok := reader.Current(); ok {
		t.Fatal("a value is trusted with no stamp")
	}

	// A committed change: announced, then read.
	if err := writer.Announce(7); err != nil {
		t.Fatal(err)
	}
	reader.Remember(7)
	if v, ok := reader.Current(); !ok || v != 7 {
		t.Fatalf("after the value was read under its stamp: %d %v, want 7 true", v, ok)
	}

	// Another change announced (committed or not): the value read
	// before is no longer trusted, and the old value read again while the
	// new one is not committed is not remembered.
	if err := writer.Announce(8); err != nil {
		t.Fatal(err)
	}
	if _, ok := reader.Current(); ok {
		t.Fatal("a value is trusted after another was announced")
	}
	reader.Remember(7)
	if _, ok := reader.Current(); ok {
		t.Fatal("a value read while another was being committed is trusted")
	}

	// The stamp gone, or replaced by anything else: read the database.
	reader.Remember(8)
	if _, ok := reader.Current(); !ok {
		t.Fatal("the committed value is not trusted")
	}
	os.Remove(path + "-test")
	if _, ok := reader.Current(); ok {
		t.Fatal("a value is trusted after its stamp was removed")
	}
	os.WriteFile(path+"-test", []byte("8"), 0o644)
	if _, ok := reader.Current(); ok {
		t.Fatal("a value is trusted from a plain file")
	}
	if err := writer.Announce(9); err != nil {
		t.Fatalf("a plain file in the way: %v", err)
	}
	if target, err := os.Readlink(path + "-test"); err != nil || target != "9" {
		t.Fatalf("stamp after replacing a plain file: %q %v", target, err)
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".meta.db-test-*")); len(m) != 0 {
		t.Errorf("temporary links left: %v", m)
	}
}
