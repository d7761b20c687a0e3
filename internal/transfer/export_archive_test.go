package transfer

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"notreasso/internal/repo"
)

// The archive holds what Export writes to a folder — files/ with folders,
// versions/ with AllVersions — and metadata.jsonl last; a member's archive
// holds only what they may read.
func TestExportArchive(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.r.Tree.MkdirAll(ctx, e.admin, "/Bureau/PV")
	for _, body := range []string{"pv v1", "pv v2"} {
		if _, _, err := e.r.Tree.Put(ctx, e.admin, "/Bureau/PV/pv.odt", strings.NewReader(body), repo.PutOptions{Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
	}
	e.r.Tree.Put(ctx, e.admin, "/racine.txt", strings.NewReader("à la racine"), repo.PutOptions{Size: int64(len("à la racine"))})
	var buf bytes.Buffer
	rep, err := ExportArchive(ctx, e.r, &buf, ArchiveZip, t.TempDir(), ExportOptions{As: e.admin, AllVersions: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 2 || rep.Folders != 2 || rep.Versions != 1 {
		t.Errorf("report: %+v", rep)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		got[f.Name] = string(b)
	}
	for name, want := range map[string]string{"files/Bureau/PV/pv.odt": "pv v2", "files/racine.txt": "à la racine", "versions/Bureau/PV/pv.odt/v1.odt": "pv v1"} {
		if got[name] != want {
			t.Errorf("%s: %q, want %q (entries %v)", name, got[name], want, names)
		}
	}
	if names[len(names)-1] != "metadata.jsonl" || !strings.Contains(got["metadata.jsonl"], `"path":"/Bureau/PV/pv.odt"`) {
		t.Errorf("metadata.jsonl is not last or lacks the file: %v", names)
	}
	if _, ok := got["files/Bureau/PV/"]; !ok {
		t.Errorf("no folder entry for Bureau/PV: %v", names)
	}
}

// A content whose hash is wrong stops the archive with an error.
func TestExportArchiveRefusesCorruptContent(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	n, _, err := e.r.Tree.Put(ctx, e.admin, "/reçu.pdf", strings.NewReader("reçu original"), repo.PutOptions{Size: int64(len("reçu original"))})
	if err != nil {
		t.Fatal(err)
	}
	blob := filepath.Join(e.dir, "blobs", n.Hash[:2], n.Hash)
	os.Chmod(blob, 0o640)
	os.WriteFile(blob, []byte("reçu abîmé!!!"), 0o640)
	_, err = ExportArchive(ctx, e.r, io.Discard, ArchiveTar, t.TempDir(), ExportOptions{As: e.admin})
	if !errors.Is(err, errCorrupt) {
		t.Errorf("archive of corrupt content: %v", err)
	}
}
