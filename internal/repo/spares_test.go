package repo

import (
	"os"
	"strings"
	"testing"
)

// TestSpareSpoolFiles: an upload takes a spool file made beforehand and
// leaves one made for the next, and nothing more: the spool holds at most
// maxSpares empty files between uploads, never a partial upload, and
// CleanupSpool (at start-up) removes them.
func TestSpareSpoolFiles(t *testing.T) {
	e := newEnv(t)
	spares := func() (n int, partial []string) {
		entries, _ := os.ReadDir(e.s.Maintenance.SpoolDir())
		for _, en := range entries {
			if strings.HasPrefix(en.Name(), sparePrefix) {
				if info, err := en.Info(); err != nil || info.Size() != 0 {
					t.Errorf("spare %s is not empty: %v %v", en.Name(), info.Size(), err)
				}
				n++
				continue
			}
			partial = append(partial, en.Name())
		}
		return n, partial
	}
	e.put(t, e.admin, "/premier.txt", "un")
	if n, partial := spares(); n != 1 || len(partial) != 0 {
		t.Fatalf("after one upload: %d spares, leftovers %v; want one spare", n, partial)
	}
	e.put(t, e.admin, "/deuxieme.txt", "deux")
	if n, partial := spares(); n != 1 || len(partial) != 0 {
		t.Fatalf("after two uploads: %d spares, leftovers %v; want the second's spare only (the first's was used)", n, partial)
	}
	if got := e.read(t, e.admin, "/deuxieme.txt", 0); got != "deux" {
		t.Errorf("the upload written into a spare reads %q", got)
	}
	for i := range 20 {
		e.put(t, e.admin, "/f"+strings.Repeat("x", i)+".txt", strings.Repeat("y", i))
	}
	if n, partial := spares(); n < 1 || n > maxSpares || len(partial) != 0 {
		t.Errorf("after many uploads: %d spares (at most %d), leftovers %v", n, maxSpares, partial)
	}
	if err := e.s.Maintenance.CleanupSpool(); err != nil {
		t.Fatal(err)
	}
	if n, _ := spares(); n != 0 {
		t.Errorf("CleanupSpool left %d spares", n)
	}
}
