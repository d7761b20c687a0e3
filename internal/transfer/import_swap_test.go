package transfer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"notreasso/internal/repo"
)

// Files replaced after the scan, before they are read: by a link to a
// file outside the tree (which the importer's account can read and the
// tree's owner cannot), by a link inside the tree, by a named pipe, by a
// folder turned into a link that leads out. None is followed or read; the
// pipe does not hold the import; the rest of the tree is imported.
func TestImportFilesSwappedAfterScan(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	root := t.TempDir()
	secretDir := t.TempDir()
	secret := filepath.Join(secretDir, "shadow")
	if err := os.WriteFile(secret, []byte("root:$y$secret-hash"), 0o600); err != nil {
		t.Fatal(err)
	}
	mt := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	writeFile(t, root, "ok.txt", "ordinaire", mt)
	writeFile(t, root, "lien-dehors.txt", "inoffensif", mt)
	writeFile(t, root, "lien-dedans.txt", "inoffensif", mt)
	writeFile(t, root, "tube.txt", "inoffensif", mt)
	writeFile(t, root, "dossier/note.txt", "inoffensif", mt)
	// Already in the repository with the same size: the import hashes the
	// source to compare, and that read must be guarded too.
	writeFile(t, root, "compare.txt", "0123456789abcdefghi", mt)
	if _, _, err := e.r.Tree.Put(ctx, e.admin, "/compare.txt", strings.NewReader("ABCDEFGHIJKLMNOPQRS"), repo.PutOptions{Size: 19}); err != nil {
		t.Fatal(err)
	}

	swap := func() {
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, n := range []string{"lien-dehors.txt", "lien-dedans.txt", "tube.txt", "compare.txt"} {
			must(os.Remove(filepath.Join(root, n)))
		}
		must(os.Symlink(secret, filepath.Join(root, "lien-dehors.txt")))
		must(os.Symlink(secret, filepath.Join(root, "compare.txt")))
		must(os.Symlink("ok.txt", filepath.Join(root, "lien-dedans.txt")))
		must(syscall.Mkfifo(filepath.Join(root, "tube.txt"), 0o644))
		must(os.RemoveAll(filepath.Join(root, "dossier")))
		must(os.Symlink(secretDir, filepath.Join(root, "dossier")))
		must(os.WriteFile(filepath.Join(secretDir, "note.txt"), []byte("secret too"), 0o600))
	}
	type result struct {
		rep ImportReport
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := Import(ctx, e.r, root, ImportOptions{As: e.admin, Workers: 1, OnScan: func(int, int64) { swap() }})
		done <- result{rep, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-time.After(20 * time.Second):
		// Unblock the open() of the pipe so the test process can end.
		if w, err := os.OpenFile(filepath.Join(root, "tube.txt"), os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		t.Fatal("import blocked on a pipe swapped in after the scan")
	}
	if res.err != nil {
		t.Fatal(res.err)
	}
	if got := e.read(t, "/ok.txt"); got != "ordinaire" {
		t.Errorf("/ok.txt = %q", got)
	}
	for _, p := range []string{"/lien-dehors.txt", "/lien-dedans.txt", "/tube.txt", "/dossier/note.txt"} {
		if n, err := e.r.Tree.Stat(ctx, e.admin, p); err == nil && !n.Dir {
			t.Errorf("%s imported (%d bytes, %s): a file swapped after the scan was read", p, n.Size, n.Hash[:12])
		}
	}
	if got := e.read(t, "/compare.txt"); got != "ABCDEFGHIJKLMNOPQRS" {
		t.Errorf("/compare.txt = %q", got)
	}
	want := map[string]string{"lien-dehors.txt": "replaced since the scan", "lien-dedans.txt": "replaced since the scan",
		"tube.txt": "not a regular file", "compare.txt": "replaced since the scan", "dossier/note.txt": "outside the imported folder"}
	for _, s := range res.rep.Skipped {
		if w, ok := want[s.Path]; ok && strings.Contains(s.Reason, w) {
			delete(want, s.Path)
		} else {
			t.Logf("skipped %s: %s", s.Path, s.Reason)
		}
	}
	if len(want) > 0 {
		t.Errorf("not reported as skipped with the reason: %v; report %+v", want, res.rep.Skipped)
	}
}

// Names Windows and macOS clients cannot show, or that disguise
// themselves, are mapped to safe ones and reported; the import goes on.
func TestImportMapsUnportableNames(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	root := t.TempDir()
	mt := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	want := map[string]string{ // source name → repository name
		"CON":                  "_CON",
		"nul.txt":              "_nul.txt",
		"réunion: ordre.txt":   "réunion_ ordre.txt",
		"a|b*c?.txt":           "a_b_c_.txt",
		"fin ":                 "fin",
		"fin.":                 "fin (2)", // listed after "fin " (space sorts first)
		"facture\u202Efdp.exe": "facturefdp.exe",
		"pay\u200Bpal.pdf":     "paypal.pdf",
		"Rapport.txt":          "Rapport.txt",
		"rapport.txt":          "rapport (2).txt",
	}
	for src := range want {
		writeFile(t, root, src, "contenu de "+src, mt)
	}
	rep, err := Import(ctx, e.r, root, ImportOptions{As: e.admin, Into: "/Import"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Skipped) > 0 || rep.Created != len(want) {
		t.Errorf("report: %+v", rep)
	}
	renamed := map[string]string{}
	for _, r := range rep.Renamed {
		renamed[r.Path] = r.Name
	}
	for src, dst := range want {
		if got := e.read(t, "/Import/"+dst); got != "contenu de "+src {
			t.Errorf("%q imported as %q: %q", src, dst, got)
		}
		if src != dst && renamed[src] != dst {
			t.Errorf("%q → %q not reported (renamed: %q)", src, dst, renamed[src])
		}
	}
}

// A folder replaced by a link to a folder outside the tree while the scan
// runs is not listed: its names (a root-only folder's) stay out of the
// repository and of the report.
func TestScanDoesNotListOutsideTheTree(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	writeFile(t, outside, "secret-plan.txt", "x", time.Now())
	if err := os.Symlink(outside, filepath.Join(root, "dossier")); err != nil {
		t.Fatal(err)
	}
	src, err := openSource(root)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ents, err := src.readDir("dossier")
	if !isEscape(err) || len(ents) != 0 {
		t.Errorf("listing a folder swapped for a link out of the tree: %v, %d entries", err, len(ents))
	}
}
