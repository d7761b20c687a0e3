package repo

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpareSpoolFiles: an upload takes a spool file made beforehand and
// leaves one made for the next, and nothing more: the spool holds at most
// maxSpares empty files between uploads, never a partial upload, and
// CleanupSpool (at start-up) removes them. A small upload written into a
// spare is still stored inside its transaction (renamed from the spare's
// folder).
func TestSpareSpoolFiles(t *testing.T) {
	e := newEnv(t)
	spares := func() (n int, partial []string) {
		filepath.WalkDir(e.s.Maintenance.SpoolDir(), func(p string, d fs.DirEntry, err error) error {
			switch {
			case err != nil || d.IsDir():
			case strings.HasPrefix(d.Name(), sparePrefix):
				if info, err := d.Info(); err != nil || info.Size() != 0 {
					t.Errorf("spare %s is not empty: %v", p, err)
				}
				n++
			default:
				partial = append(partial, p)
			}
			return nil
		})
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
	f := e.s.takeSpare()
	if f == nil {
		t.Fatal("no spare after an upload")
	}
	if sp := (&spooled{path: f.Name()}); !e.s.storesInTx(sp) {
		t.Errorf("a spare (%s) would not be stored in its upload's transaction", f.Name())
	}
	e.s.spares <- f
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
