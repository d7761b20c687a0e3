package transfer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestRepairName(t *testing.T) {
	long := strings.Repeat("é", 140) + ".pdf" // 284 bytes
	tests := []struct {
		in, want string
		changed  bool
	}{
		{"Procès-verbal.odt", "Procès-verbal.odt", false},
		{"Proce\u0300s-verbal.odt", "Procès-verbal.odt", false}, // NFD from a Mac: same name on screen
		{"Re\xe7u n\xb01.pdf", "Reçu n°1.pdf", true},            // Windows-1252 bytes
		{"bilan\x01\x7f.ods", "bilan__.ods", true},
		{"tab\there", "tab_here", true},
		{long, strings.Repeat("é", 124) + "…" + ".pdf", true},
	}
	for _, tt := range tests {
		got, changed := RepairName(tt.in)
		if got != tt.want || changed != tt.changed {
			t.Errorf("RepairName(%q) = %q, %v; want %q, %v", tt.in, got, changed, tt.want, tt.changed)
		}
		if len(got) > 255 {
			t.Errorf("RepairName(%q) is %d bytes", tt.in, len(got))
		}
	}
}

// A scattered tree as found on a USB stick: nested folders, odd names,
// copies, clutter, a pipe, a link, a huge file and one that vanishes.
func scatteredTree(t *testing.T) (string, time.Time) {
	root := t.TempDir()
	mt := time.Date(2019, 3, 14, 15, 9, 26, 0, time.UTC)
	writeFile(t, root, "Compta/2019/bilan.ods", "bilan 2019", mt)
	writeFile(t, root, "Compta/2019/copie du bilan.ods", "bilan 2019", mt.Add(time.Hour)) // same content
	writeFile(t, root, "Compta/Re\u0301sume\u0301.txt", "résumé", mt)                     // NFD
	writeFile(t, root, "AG/PV\x01 du 12 juin.odt", "pv", mt)                              // control character
	writeFile(t, root, "AG/PV_ du 12 juin.odt", "autre pv", mt)                           // what the repair would produce
	writeFile(t, root, "AG/Re\xe7u.pdf", "reçu", mt)                                      // Windows-1252
	writeFile(t, root, "AG/.DS_Store", "clutter", mt)
	writeFile(t, root, "AG/~$lettre.docx", "lock", mt)
	writeFile(t, root, "Photos/énorme.mov", strings.Repeat("x", 5000), mt)
	writeFile(t, root, "Photos/disparu.jpg", "bientôt disparu", mt)
	os.MkdirAll(filepath.Join(root, "Vide"), 0o755)
	os.Symlink("/etc/passwd", filepath.Join(root, "lien"))
	if err := syscall.Mkfifo(filepath.Join(root, "tube"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root, mt
}

func TestImportScatteredTree(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	root, mt := scatteredTree(t)
	state := filepath.Join(e.dir, "import.state")
	opts := ImportOptions{Into: "/Clé USB", As: e.member, MaxSize: 4096, StateFile: state,
		OnScan: func(int, int64) { os.Remove(filepath.Join(root, "Photos/disparu.jpg")) }}
	rep, err := Import(ctx, e.r, root, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 6 || rep.Duplicates != 1 || rep.Folders != 5 || rep.Files != 7 {
		t.Errorf("report: %+v", rep)
	}
	for path, want := range map[string]string{
		"/Clé USB/Compta/2019/bilan.ods": "bilan 2019", "/Clé USB/Compta/2019/copie du bilan.ods": "bilan 2019",
		"/Clé USB/Compta/Résumé.txt": "résumé", "/Clé USB/AG/PV_ du 12 juin.odt": "autre pv",
		"/Clé USB/AG/PV_ du 12 juin (2).odt": "pv", "/Clé USB/AG/Reçu.pdf": "reçu",
	} {
		if got := e.read(t, path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	if n, err := e.r.Tree.Stat(ctx, e.admin, "/Clé USB/Compta/2019/bilan.ods"); err != nil || !n.ModTime.Equal(mt) || n.UpdatedBy != "marie" {
		t.Errorf("modification time or author not kept: %+v %v", n, err)
	}
	if n, err := e.r.Tree.Stat(ctx, e.admin, "/Clé USB/Vide"); err != nil || !n.Dir {
		t.Errorf("empty folder: %+v %v", n, err)
	}
	wantSkipped := map[string]string{"AG/.DS_Store": "system file", "AG/~$lettre.docx": "system file", "Photos/énorme.mov": "too large",
		"Photos/disparu.jpg": "unreadable", "lien": "symbolic link", "tube": "not a regular file"}
	for _, s := range rep.Skipped {
		if w, ok := wantSkipped[s.Path]; !ok || !strings.Contains(s.Reason, w) {
			t.Errorf("skipped %s: %q", s.Path, s.Reason)
		}
		delete(wantSkipped, s.Path)
	}
	if len(wantSkipped) > 0 {
		t.Errorf("not reported as skipped: %v", wantSkipped)
	}
	renamed := map[string]string{}
	for _, r := range rep.Renamed {
		renamed[r.Path] = r.Name
	}
	if renamed["AG/PV\x01 du 12 juin.odt"] != "PV_ du 12 juin (2).odt" || renamed["AG/Re\xe7u.pdf"] != "Reçu.pdf" || len(renamed) != 2 {
		t.Errorf("renamed: %q", renamed)
	}
	if n := e.count(t, `SELECT count(*) FROM journal WHERE action = 'create'`); n != 6 {
		t.Errorf("%d create entries in the journal, want 6", n)
	}

	// Again: nothing added, nothing read.
	before := e.count(t, `SELECT count(*) FROM journal`)
	again, err := Import(ctx, e.r, root, opts)
	if err != nil || again.Created+again.Updated+again.Unchanged != 0 || again.Resumed != 6 {
		t.Errorf("second import: %+v %v", again, err)
	}
	// Without the state file, the content is compared: still nothing added.
	opts.StateFile = ""
	third, err := Import(ctx, e.r, root, opts)
	if err != nil || third.Created+third.Updated != 0 || third.Unchanged != 6 {
		t.Errorf("import without state: %+v %v", third, err)
	}
	if after := e.count(t, `SELECT count(*) FROM journal`); after != before {
		t.Errorf("journal grew from %d to %d entries on re-import", before, after)
	}
	// A changed file becomes a new version.
	writeFile(t, root, "Compta/Re\u0301sume\u0301.txt", "résumé, corrigé", mt.Add(24*time.Hour))
	fourth, err := Import(ctx, e.r, root, opts)
	if err != nil || fourth.Updated != 1 || fourth.Unchanged != 5 {
		t.Errorf("import after a change: %+v %v", fourth, err)
	}
	if n, _ := e.r.Tree.Stat(ctx, e.admin, "/Clé USB/Compta/Résumé.txt"); n.Version != 2 {
		t.Errorf("changed file at version %d, want 2", n.Version)
	}
}

// An import cancelled half-way records only whole files; running it again
// finishes the job without duplicating anything.
func TestImportInterruptedResumes(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	root := t.TempDir()
	const n = 300
	for i := 0; i < n; i++ {
		writeFile(t, root, fmt.Sprintf("d%d/f%03d.txt", i%7, i), fmt.Sprintf("contenu %d", i), time.Unix(1600000000+int64(i), 0))
	}
	state := filepath.Join(e.dir, "state")
	cctx, cancel := context.WithCancel(ctx)
	var done atomic.Int64
	_, err := Import(cctx, e.r, root, ImportOptions{As: e.admin, StateFile: state, OnProgress: func(int64) {
		if done.Add(1) == n/3 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted import: %v", err)
	}
	first := e.count(t, `SELECT count(*) FROM nodes WHERE kind = 'file'`)
	if first < n/3-8 || first >= n {
		t.Fatalf("%d files stored before the interruption", first)
	}
	rep, err := Import(ctx, e.r, root, ImportOptions{As: e.admin, StateFile: state})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created+rep.Resumed+rep.Unchanged != n || rep.Created != n-first {
		t.Errorf("resumed import: %+v (%d stored before)", rep, first)
	}
	if files, versions := e.count(t, `SELECT count(*) FROM nodes WHERE kind = 'file'`), e.count(t, `SELECT count(*) FROM versions`); files != n || versions != n {
		t.Errorf("%d files, %d versions; want %d of each", files, versions, n)
	}
}

// Importing 10 000 files twice: the second run adds nothing, and both fit
// in well under a minute.
func TestImport10000FilesTwice(t *testing.T) {
	workers := 4
	if w, err := strconv.Atoi(os.Getenv("IMPORT_WORKERS")); err == nil {
		workers = w
	}
	ctx := context.Background()
	e := newEnv(t)
	root := t.TempDir()
	// 10 000 files in make test; a tenth under -short, the same shape.
	n, distinct := 10000, 9000
	if testing.Short() {
		n, distinct = 1000, 900
	}
	made := time.Now()
	for d := 0; d < 20*7; d++ {
		os.MkdirAll(filepath.Join(root, fmt.Sprintf("dossier %d/sous-dossier %d", d%20, d%7)), 0o755)
	}
	for i := 0; i < n; i++ {
		p := filepath.Join(root, fmt.Sprintf("dossier %d/sous-dossier %d/fichier %d.txt", i%20, i%7, i))
		if err := os.WriteFile(p, []byte(fmt.Sprintf("contenu du fichier %d\n", i%distinct)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	state := filepath.Join(e.dir, "state")
	t.Logf("source tree written in %s", time.Since(made).Round(time.Millisecond))
	start := time.Now()
	rep, err := Import(ctx, e.r, root, ImportOptions{As: e.admin, StateFile: state, Workers: workers})
	first := time.Since(start)
	if err != nil || rep.Created != n || rep.Duplicates != n-distinct {
		t.Fatalf("first import: %+v %v", rep, err)
	}
	journal := e.count(t, `SELECT count(*) FROM journal`)
	start = time.Now()
	rep, err = Import(ctx, e.r, root, ImportOptions{As: e.admin, StateFile: state, Workers: workers})
	second := time.Since(start)
	if err != nil || rep.Created+rep.Updated+rep.Unchanged != 0 || rep.Resumed != n {
		t.Fatalf("second import: %+v %v", rep, err)
	}
	if after := e.count(t, `SELECT count(*) FROM journal`); after != journal {
		t.Errorf("the second import journaled %d changes", after-journal)
	}
	if v := e.count(t, `SELECT count(*) FROM versions`); v != n {
		t.Errorf("%d versions, want %d", v, n)
	}
	if b := e.count(t, `SELECT count(*) FROM blobs`); b != distinct {
		t.Errorf("%d blobs, want %d (identical content stored once)", b, distinct)
	}
	t.Logf("%d files: first import %s (%.0f files/s), second %s", n, first.Round(time.Millisecond), float64(n)/first.Seconds(), second.Round(time.Millisecond))
}
