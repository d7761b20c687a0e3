package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"notreasso/internal/testutil/tier"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"notreasso/indexer/extract/testdocs"
)

// leftoverProcesses lists running processes whose command line mentions
// path: after RunIsolated returns, the worker and its children must be gone.
func leftoverProcesses(path string) []string {
	var found []string
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		cmdline, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(path)) {
			found = append(found, fmt.Sprintf("%s: %q", d, cmdline))
		}
	}
	return found
}

// isolatedTempDir points TMPDIR at a test directory and checks at the end
// that RunIsolated left nothing in it, even after killing workers.
func isolatedTempDir(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Cleanup(func() {
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			t.Errorf("temp files left behind: %v", left)
		}
	})
}

// TestHostilePDFsIsolatedGo runs crafted PDFs through the worker with the
// pure Go parser, which panics, loops or allocates without bound on them:
// each must come back as a Result within the time limit, with no process
// left behind.
func TestHostilePDFsIsolatedGo(t *testing.T) {
	if raceEnabled {
		t.Skip("the worker's RLIMIT_AS cannot accommodate the race detector's shadow memory")
	}
	isolatedTempDir(t)
	const timeout = 2 * time.Second
	lim := Limits{Timeout: timeout, MaxMemory: 256 << 20, NoExternalTools: true}
	want := map[string]struct {
		status Status
		reason string
	}{
		"garbage":    {StatusFailed, "not a PDF"},
		"truncated":  {StatusFailed, ""},
		"prev-loop":  {StatusFailed, "timeout|memory limit exceeded"}, // a loop that allocates: whichever limit it reaches first
		"kids-cycle": {StatusFailed, "page tree"},
		"count-2e9":  {StatusOK, "/Count is 2000000000 but 1 pages"},
		"xref-alloc": {StatusFailed, "memory limit exceeded"},
	}
	for name, data := range testdocs.HostilePDFs() {
		t.Run(name, func(t *testing.T) {
			path := writeFile(t, name+".pdf", data)
			_, res, took := runWorker(t, path, "application/pdf", lim)
			t.Logf("%s: %+v in %s", name, res, took.Round(time.Millisecond))
			w := want[name]
			reasonOK := false
			for _, r := range strings.Split(w.reason, "|") {
				reasonOK = reasonOK || strings.Contains(res.Reason, r)
			}
			if res.Status != w.status || !reasonOK {
				t.Errorf("got %s %q, want %s containing %q", res.Status, res.Reason, w.status, w.reason)
			}
			if took > timeout+killGrace+time.Second {
				t.Errorf("took %s, limit %s", took, timeout)
			}
			if left := leftoverProcesses(path); len(left) > 0 {
				t.Errorf("worker processes left: %v", left)
			}
		})
	}
}

// TestHostilePDFsIsolatedPoppler runs the same files through pdftotext,
// the default engine in the worker: poppler repairs or refuses them, and
// must do so quickly.
func TestHostilePDFsIsolatedPoppler(t *testing.T) {
	tier.Tool(t, "pdftotext", "poppler-utils")
	isolatedTempDir(t)
	lim := Limits{Timeout: 5 * time.Second, MaxMemory: 256 << 20}
	for name, data := range testdocs.HostilePDFs() {
		path := writeFile(t, name+".pdf", data)
		_, res, took := runWorker(t, path, "application/pdf", lim)
		t.Logf("%s: %+v in %s", name, res, took.Round(time.Millisecond))
		if strings.Contains(res.Reason, "timeout") || took > 5*time.Second {
			t.Errorf("%s: pdftotext did not finish in time: %+v", name, res)
		}
	}
}

// TestIsolatedCancel cancels the caller's context while the worker spins:
// RunIsolated must return the context's error at once and kill the worker.
func TestIsolatedCancel(t *testing.T) {
	isolatedTempDir(t)
	path := writeFile(t, "loop.pdf", testdocs.PrevLoopPDF())
	exe, _ := os.Executable()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := RunIsolated(ctx, exe, []string{"extract"}, path, "application/pdf", "loop.pdf", io.Discard, Limits{NoExternalTools: true})
	if !errors.Is(err, context.DeadlineExceeded) || res.Status != StatusFailed || time.Since(start) > 2*time.Second {
		t.Errorf("RunIsolated = %+v, %v after %s; want the context's error", res, err, time.Since(start))
	}
	if left := leftoverProcesses(path); len(left) > 0 {
		t.Errorf("worker processes left: %v", left)
	}
}

// TestMemoryLimitIsWhatStopsTheWorker extracts the same file, whose xref
// makes ledongthuc/pdf allocate ~640 MB, with two memory limits: the
// RLIMIT_AS of the worker is what makes the difference.
func TestMemoryLimitIsWhatStopsTheWorker(t *testing.T) {
	if raceEnabled {
		t.Skip("the worker's RLIMIT_AS cannot accommodate the race detector's shadow memory")
	}
	isolatedTempDir(t)
	path := writeFile(t, "alloc.pdf", testdocs.XrefAllocPDF(10_000_000))
	logs := &captureWorkerLog{}
	prev := slog.Default()
	slog.SetDefault(slog.New(logs))
	defer slog.SetDefault(prev)
	for _, c := range []struct {
		maxMemory int64
		oom       bool
	}{{128 << 20, true}, {2 << 30, false}} {
		_, res, took := runWorker(t, path, "application/pdf", Limits{MaxMemory: c.maxMemory, NoExternalTools: true, Timeout: 10 * time.Second})
		t.Logf("MaxMemory %d MiB: %+v in %s, worker max RSS %d MiB", c.maxMemory>>20, res, took.Round(time.Millisecond), logs.maxRSS.Load()>>10)
		if oom := strings.Contains(res.Reason, "memory limit exceeded"); oom != c.oom || res.Status != StatusFailed {
			t.Errorf("MaxMemory %d MiB: %+v; want failed, out of memory: %v", c.maxMemory>>20, res, c.oom)
		}
	}
}

// TestMalformedPDFInProcess checks that parser panics are recovered when
// Extract runs in the caller's process.
func TestMalformedPDFInProcess(t *testing.T) {
	valid := must(t)(testdocs.PDFPages(testdocs.FrenchPages(1), testdocs.PDFOptions{}))
	// Point every xref entry at the first object: resolving /Root then
	// finds "1 0 obj" where "2 0 obj" is expected, a panic in the library.
	mangled := bytes.Clone(valid)
	xref := bytes.LastIndex(mangled, []byte("\nxref\n"))
	first := bytes.Index(mangled, []byte("1 0 obj"))
	entries := mangled[xref:]
	for i := 1; i < 8; i++ {
		entry := fmt.Sprintf("%010d 00000 n \n", first)
		at := bytes.Index(entries, []byte(" 00000 n \n"))
		if at < 10 {
			break
		}
		copy(entries[at-10:], entry)
		entries = entries[at+10:]
	}
	for name, data := range map[string][]byte{"mangled-xref": mangled, "truncated": valid[:len(valid)-40]} {
		res, err := Extract(context.Background(), bytes.NewReader(data), int64(len(data)), "application/pdf", name+".pdf", io.Discard, Limits{})
		if err != nil || res.Status != StatusFailed || res.Reason == "" {
			t.Errorf("%s: %+v, %v; want failed with a reason", name, res, err)
		}
	}
}

// captureWorkerLog records the max_rss_kib that RunIsolated logs.
type captureWorkerLog struct {
	slog.Handler
	maxRSS atomic.Int64
}

func (h *captureWorkerLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *captureWorkerLog) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "max_rss_kib" {
			h.maxRSS.Store(a.Value.Int64())
		}
		return true
	})
	return nil
}

func TestZipBombs(t *testing.T) {
	isolatedTempDir(t)
	dir := t.TempDir()
	const twoGiB = 2 << 30
	bombXML := filepath.Join(dir, "bomb-xml.docx")
	if err := testdocs.DOCXBombFile(bombXML, twoGiB); err != nil {
		t.Fatal(err)
	}
	bombZeros := filepath.Join(dir, "bomb-zeros.docx")
	if err := testdocs.ZipBombFile(bombZeros, "word/document.xml", "", "\x00", twoGiB, testdocs.DOCXParts()...); err != nil {
		t.Fatal(err)
	}

	many := make([]testdocs.ZipEntry, 20_001)
	for i := range many {
		many[i] = testdocs.ZipEntry{Name: fmt.Sprintf("word/media/%d.xml", i)}
	}
	manyEntries := writeFile(t, "many.docx", must(t)(testdocs.Zip(many...)))
	big := writeFile(t, "big.docx", must(t)(testdocs.DOCXBody(strings.Repeat("<w:p><w:r><w:t>"+phrase+" "+strings.Repeat("x", 200)+"</w:t></w:r></w:p>", 1000))))

	cases := []struct {
		name, path string
		lim        Limits
		reason     string
	}{
		{"2GiB of <w:p/>", bombXML, Limits{}, "expands"},
		{"2GiB of zeros", bombZeros, Limits{}, "docx"},
		{"20001 entries", manyEntries, Limits{}, "20001 entries"},
		{"total over MaxZipTotal", big, Limits{MaxZipTotal: 64 << 10}, "more than 65536 bytes decompressed"},
	}
	logs := &captureWorkerLog{}
	prev := slog.Default()
	slog.SetDefault(slog.New(logs))
	defer slog.SetDefault(prev)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := os.Open(c.path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			st, _ := f.Stat()
			start := time.Now()
			res, err := Extract(context.Background(), f, st.Size(), "", c.path, io.Discard, c.lim)
			inProcess := time.Since(start)
			if err != nil || res.Status != StatusFailed || !strings.Contains(res.Reason, c.reason) {
				t.Errorf("in process: %+v, %v; want failed with %q", res, err, c.reason)
			}
			_, res, took := runWorker(t, c.path, "", c.lim)
			rss := logs.maxRSS.Load()
			t.Logf("%s: %q; in process %s, isolated %s, worker max RSS %d MiB", c.name, res.Reason,
				inProcess.Round(time.Millisecond), took.Round(time.Millisecond), rss>>10)
			if res.Status != StatusFailed || !strings.Contains(res.Reason, c.reason) {
				t.Errorf("isolated: %+v; want failed with %q", res, c.reason)
			}
			if raceEnabled {
				return // time and memory bounds do not hold under the race detector
			}
			if took > 5*time.Second || inProcess > 5*time.Second {
				t.Errorf("too slow: in process %s, isolated %s", inProcess, took)
			}
			if rss > 100<<10 {
				t.Errorf("worker max RSS %d MiB, want < 100 MiB", rss>>10)
			}
		})
	}
}

func TestWorkerMainUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := WorkerMain([]string{"--bogus"}, &stdout, &stderr); code != 2 {
		t.Errorf("bad flag: exit %d, want 2", code)
	}
	if code := WorkerMain(nil, &stdout, &stderr); code != 2 {
		t.Errorf("no file: exit %d, want 2", code)
	}
	stderr.Reset()
	code := WorkerMain([]string{"--mime", "text/plain", filepath.Join(t.TempDir(), "missing.txt")}, &stdout, &stderr)
	res, ok := workerResult(&tailBuffer{max: 1 << 10, buf: stderr.Bytes()})
	if code != 0 || !ok || res.Status != StatusFailed || !strings.Contains(res.Reason, "no such file") {
		t.Errorf("missing file: exit %d, result %+v (%v), stderr %q", code, res, ok, stderr.String())
	}
}
