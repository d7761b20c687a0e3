package e2e

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

// fullCopyBytes is the repository size of TestFullCopyDownload: 160 MiB
// in make test; scripts/bench.sh sets NOTREASSO_FULLCOPY_BYTES to 2 GiB
// (docs/benchmarks.md).
func fullCopyBytes(t *testing.T) int64 {
	if v := os.Getenv("NOTREASSO_FULLCOPY_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("NOTREASSO_FULLCOPY_BYTES=%q: %v", v, err)
		}
		return n
	}
	return 160 << 20
}

// « Télécharger une copie complète » streams: the server's peak resident
// memory stays under 100 MB while a repository of fullCopyBytes goes out
// as one tar; the archive holds every file with its content and
// metadata.jsonl last, and importing its files/ on a second server gives
// the same tree.
func TestFullCopyDownload(t *testing.T) {
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	total := fullCopyBytes(t)
	const fileSize = 32 << 20
	want := map[string]string{} // path → sha256
	mkdirParents(c, "/Archives/2019")
	for i := 0; int64(i)*fileSize < total; i++ {
		size := min(int64(fileSize), total-int64(i)*fileSize)
		p := fmt.Sprintf("/Archives/%s/scan-%03d.bin", map[bool]string{true: "2019", false: "2020"}[i%2 == 0], i)
		if i == 1 {
			mkdirParents(c, "/Archives/2020")
		}
		st, _, sum := streamUpload(t, c, p, size, uint64(100+i), nil)
		if st != 201 {
			t.Fatalf("upload %s: %d", p, st)
		}
		want[p] = sum
	}
	mkdirParents(c, "/Bureau")
	c.put("/Bureau/compte rendu.txt", []byte("compte rendu"))
	want["/Bureau/compte rendu.txt"] = sha(t, "compte rendu")
	baseline := srv.PeakRSS()
	// Reset the high-water mark, so the peak measured is the download's.
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", srv.Cmd.Process.Pid), []byte("5"), 0); err != nil {
		t.Logf("cannot reset the peak RSS (%v): the peak includes the uploads", err)
	}

	b := newBrowserAdmin(t, srv)
	start := time.Now()
	resp, err := b.hc.Get(srv.URL + "/admin/backups/copy.tar")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-tar" || !strings.Contains(resp.Header.Get("Content-Disposition"), ".tar") {
		t.Fatalf("full copy: %d %v", resp.StatusCode, resp.Header)
	}
	// Read the archive as it arrives, writing files/ to disk for the import.
	out := t.TempDir()
	got := map[string]string{}
	var names []string
	var streamed int64
	tr := tar.NewReader(resp.Body)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read the archive after %d entries: %v", len(names), err)
		}
		names = append(names, h.Name)
		dst := filepath.Join(out, filepath.FromSlash(h.Name))
		if h.Typeflag == tar.TypeDir {
			os.MkdirAll(dst, 0o755)
			continue
		}
		os.MkdirAll(filepath.Dir(dst), 0o755)
		f, err := os.Create(dst)
		if err != nil {
			t.Fatal(err)
		}
		hs := sha256.New()
		n, err := io.Copy(io.MultiWriter(f, hs), tr)
		f.Close()
		if err != nil {
			t.Fatalf("read %s: %v", h.Name, err)
		}
		streamed += n
		if p, ok := strings.CutPrefix(h.Name, "files"); ok {
			got[p] = hex.EncodeToString(hs.Sum(nil))
		}
	}
	took := time.Since(start)
	peak := srv.PeakRSS()
	t.Logf("full copy: %d MiB in %s (%.0f MiB/s); server peak RSS %d MiB (%d MiB for the uploads before)",
		streamed>>20, took.Round(time.Millisecond), float64(streamed)/(1<<20)/took.Seconds(), peak>>20, baseline>>20)
	if peak <= 0 || peak > 100<<20 {
		t.Errorf("server peak RSS %d MiB during the full copy, want under 100 MB", peak>>20)
	}
	if len(got) != len(want) {
		t.Errorf("%d files in the archive, want %d", len(got), len(want))
	}
	for p, sum := range want {
		if got[p] != sum {
			t.Errorf("%s in the archive: sha256 %q, want %q", p, got[p], sum)
		}
	}
	if last := names[len(names)-1]; last != "metadata.jsonl" {
		t.Errorf("the archive ends with %s, want metadata.jsonl", last)
	}
	meta, _ := os.ReadFile(filepath.Join(out, "metadata.jsonl"))
	if !strings.Contains(string(meta), `"type":"export"`) || !strings.Contains(string(meta), "scan-000.bin") {
		t.Errorf("metadata.jsonl: %.300s", meta)
	}

	// Import files/ on a second server: the same tree, the same contents.
	second := server.Start(t, server.Options{})
	if o, err := second.Run(t.Context(), nil, "import", filepath.Join(out, "files")); err != nil {
		t.Fatalf("import: %v\n%s", err, o)
	}
	if a, b := treeOf(t, c), treeOf(t, admin(t, second)); a != b {
		t.Errorf("the second server's tree differs:\n%s\nwant:\n%s", b, a)
	}
}

// treeOf lists every folder and file with its size and hash.
func treeOf(t *testing.T, c *client) string {
	t.Helper()
	var lines []string
	var walk func(p string)
	walk = func(p string) {
		var l struct{ Children []node }
		if st := c.call("GET", "/api/v1/list/"+escapePath(strings.TrimPrefix(p, "/")), nil, &l); st != 200 {
			t.Fatalf("list %s: %d", p, st)
		}
		for _, n := range l.Children {
			lines = append(lines, fmt.Sprintf("%s %s %d %s", n.Path, n.Type, n.Size, n.Hash))
			if n.Type == "dir" {
				walk(n.Path)
			}
		}
	}
	walk("/")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func sha(t *testing.T, s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
