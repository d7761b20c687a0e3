package e2e

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"notreasso/indexer/extract/testdocs"
	"notreasso/internal/testutil/server"
)

// watchdog checks, until stopped, that the server answers /healthz and
// that a search keeps finding a document while the test does its worst.
type watchdog struct {
	stop            chan struct{}
	stopOnce        sync.Once
	done            sync.WaitGroup
	checks, fails   atomic.Int64
	searches        atomic.Int64
	mu              sync.Mutex
	firstFail       string
	worstHealthWait time.Duration
}

func startWatchdog(t *testing.T, c *client, query, want string) *watchdog {
	w := &watchdog{stop: make(chan struct{})}
	hc := &http.Client{Timeout: 5 * time.Second}
	// A client of its own: c's helpers call t.Fatal, which must not run
	// outside the test goroutine.
	sc := &client{t: &quietTB{TB: t}, base: c.base, user: c.user, pass: c.pass, hc: hc}
	t.Cleanup(w.halt) // even if the test stops early
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
			start := time.Now()
			resp, err := hc.Get(c.base + "/healthz")
			took := time.Since(start)
			w.checks.Add(1)
			if err == nil {
				resp.Body.Close()
			}
			w.mu.Lock()
			w.worstHealthWait = max(w.worstHealthWait, took)
			if err != nil || resp.StatusCode != 200 {
				w.fails.Add(1)
				if w.firstFail == "" {
					w.firstFail = "healthz: " + errOrStatus(err, resp)
				}
			}
			w.mu.Unlock()
			if i%5 != 0 {
				continue
			}
			w.searches.Add(1)
			st, r := sc.search(query)
			found := false
			for _, h := range r.Hits {
				found = found || h.Path == want
			}
			if st != 200 || !found {
				w.fails.Add(1)
				w.mu.Lock()
				if w.firstFail == "" {
					w.firstFail = "search " + query + ": " + http.StatusText(st)
				}
				w.mu.Unlock()
			}
		}
	}()
	return w
}

func (w *watchdog) halt() {
	w.stopOnce.Do(func() { close(w.stop) })
	w.done.Wait()
}

func (w *watchdog) finish(t *testing.T) {
	t.Helper()
	w.halt()
	t.Logf("watchdog: %d health checks (slowest %s), %d searches, %d failures", w.checks.Load(),
		w.worstHealthWait.Round(time.Millisecond), w.searches.Load(), w.fails.Load())
	if w.fails.Load() > 0 {
		t.Errorf("the server failed %d checks while under attack; first: %s", w.fails.Load(), w.firstFail)
	}
}

func errOrStatus(err error, resp *http.Response) string {
	if err != nil {
		return err.Error()
	}
	return resp.Status
}

// quietTB turns the client helpers' fatal errors into recorded ones, for
// use outside the test goroutine (the watchdog counts failures itself).
type quietTB struct{ testing.TB }

func (q *quietTB) Fatalf(format string, args ...any) { q.TB.Errorf(format, args...) }
func (q *quietTB) Fatal(args ...any)                 { q.TB.Error(args...) }

// TestHostileUploads feeds the real server files made to hurt its
// indexer — malformed and looping PDFs, a zip bomb, a 500 MB text — and
// checks that it stays healthy and searchable throughout, that each ends
// with a definite extraction status in bounded time, and that its memory
// stays bounded.
//
// The server runs without poppler and tesseract on its PATH, so PDFs go
// through the pure Go parser, the one that loops (pdftotext reads the
// looping PDF; see TestHostilePDFsWithPoppler), with an extraction
// timeout of 3 s instead of 60.
func TestHostileUploads(t *testing.T) {
	const (
		timeout = 3 * time.Second
		// Receiving, storing and extracting hostile files.
		maxRSSHostile = 300 << 20
		// Indexing 10 MiB of text: bleve's analysis holds about 40 bytes
		// per byte of text (the token slabs of two fields, then the
		// positions of the folded one): 450-590 MiB measured, as
		// indexer/search's batch sizing allows for ("up to 10 MiB each").
		maxRSSIndexing = 768 << 20
	)
	srv := server.Start(t, server.Options{Env: []string{
		"PATH=" + t.TempDir(), // nothing to run: no pdftotext, pdftoppm, tesseract
		"NOTREASSO_EXTRACT_TIMEOUT=" + timeout.String(),
	}})
	c := admin(t, srv)
	c.call("POST", "/api/v1/folders/Pieges", nil, nil)
	c.put("/controle.txt", []byte("Le compte rendu du jardin des plantes médicinales est approuvé."))
	const control = `"jardin des plantes médicinales"`
	waitFound(t, c, control, "/controle.txt")
	dog := startWatchdog(t, c, control, "/controle.txt")

	// The bomb is built streaming into a file (2 GiB of <w:p/> in 3 MB)
	// and uploaded from it.
	bomb := filepath.Join(t.TempDir(), "bombe.docx")
	if err := testdocs.DOCXBombFile(bomb, 2<<30); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(bomb)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	uploaded := map[string]time.Time{}
	if code, _ := c.putStream("/Pieges/bombe.docx", f, st.Size()); code != 201 {
		t.Fatalf("upload bombe.docx: status %d", code)
	}
	uploaded["bombe.docx"] = time.Now()
	for name, data := range map[string][]byte{
		"illisible.pdf": testdocs.GarbagePDF(),
		"tronque.pdf":   testdocs.TruncatedPDF(),
		"boucle.pdf":    testdocs.PrevLoopPDF(),
	} {
		if code, _ := c.put("/Pieges/"+name, data); code != 201 {
			t.Fatalf("upload %s: status %d", name, code)
		}
		uploaded[name] = time.Now()
	}

	// Each ends failed, with a reason, within the extraction timeout plus
	// the worker's grace and some slack.
	for name, reason := range map[string]string{
		"bombe.docx":    "zip bomb",
		"illisible.pdf": "",
		"tronque.pdf":   "",
		"boucle.pdf":    "timeout", // the worker's
	} {
		e := waitExtracted(t, c, "/Pieges/"+name, 30*time.Second)
		took := time.Since(uploaded[name])
		t.Logf("%s: %+v, %s after its upload", name, e, took.Round(time.Millisecond))
		if e.Status != "failed" || e.Reason == "" || !strings.Contains(e.Reason, reason) {
			t.Errorf("%s: %+v; want failed with a reason containing %q", name, e, reason)
		}
	}

	// 500 MB of text, generated while it is sent; a word only at its very
	// end, past the 10 MiB of text that are indexed.
	const size = 500 << 20
	line := "Rapport de la commission des finances sur le budget prévisionnel de l'exercice.\n"
	const tail = "\nmotcachéaprèslalimite\n"
	body := io.MultiReader(testdocs.RepeatedText(line, size-int64(len(tail))), strings.NewReader(tail))
	start := time.Now()
	if code, _ := c.putStream("/Pieges/enorme.txt", body, size); code != 201 {
		t.Fatalf("upload enorme.txt: status %d", code)
	}
	uploaded["enorme.txt"] = time.Now()
	// Its text is extracted only now that the upload is recorded.
	peak := srv.PeakRSS()
	t.Logf("500 MB uploaded in %s; server peak RSS so far %d MiB", time.Since(start).Round(time.Millisecond), peak>>20)
	if peak > maxRSSHostile {
		t.Errorf("server peak RSS %d MiB after the hostile files, want < %d MiB", peak>>20, maxRSSHostile>>20)
	}

	// The big text is indexed up to the limit, and says it was cut.
	e := waitExtracted(t, c, "/Pieges/enorme.txt", 30*time.Second)
	t.Logf("enorme.txt: %+v, %s after its upload", e, time.Since(uploaded["enorme.txt"]).Round(time.Millisecond))
	if e.Status != "ok" || !e.Truncated || e.Chars > 10<<20 || e.Chars < 10<<20-4 {
		t.Errorf("enorme.txt: %+v; want ok, truncated at 10 MiB", e)
	}
	waitFound(t, c, `"commission des finances"`, "/Pieges/enorme.txt")
	t.Logf("enorme.txt found %s after its upload", time.Since(uploaded["enorme.txt"]).Round(time.Millisecond))
	if _, r := c.search("motcachéaprèslalimite"); r.Total != 0 {
		t.Errorf("text past the limit was indexed: %+v", r.Hits)
	}

	dog.finish(t)
	if resp, err := http.Get(srv.URL + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz after: %s", errOrStatus(err, resp))
	}
	waitFound(t, c, control, "/controle.txt")
	peak = srv.PeakRSS()
	t.Logf("server peak RSS %d MiB", peak>>20)
	if peak > maxRSSIndexing {
		t.Errorf("server peak RSS %d MiB, want < %d MiB", peak>>20, maxRSSIndexing>>20)
	}
}

// TestHostilePDFsWithPoppler uploads the crafted PDFs to a server with
// poppler installed, as production should be: pdftotext refuses the
// malformed ones at once and reads the looping ones (it rebuilds the
// xref and walks the page tree with cycle checks), so none waits for the
// timeout.
func TestHostilePDFsWithPoppler(t *testing.T) {
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	c.call("POST", "/api/v1/folders/PDF", nil, nil)
	pdfs := testdocs.HostilePDFs()
	start := time.Now()
	for name, data := range pdfs {
		if code, _ := c.put("/PDF/"+name+".pdf", data); code != 201 {
			t.Fatalf("upload %s: status %d", name, code)
		}
	}
	for name := range pdfs {
		path := "/PDF/" + name + ".pdf"
		e := waitExtracted(t, c, path, 30*time.Second)
		t.Logf("%s: %+v after %s", name, e, time.Since(start).Round(time.Millisecond))
		switch {
		case e.Status == "failed" && e.Reason == "":
			t.Errorf("%s: failed without a reason", name)
		case strings.Contains(e.Reason, "timeout"):
			t.Errorf("%s: pdftotext hit the timeout: %+v", name, e)
		case (name == "garbage" || name == "truncated") && e.Status != "failed":
			t.Errorf("%s: %+v, want failed", name, e)
		case (name == "prev-loop" || name == "kids-cycle") && e.Status != "ok":
			t.Errorf("%s: %+v, want ok: poppler reads it", name, e)
		case e.Status == "ok":
			waitFound(t, c, `"`+testdocs.Phrase+`"`, path)
		}
	}
}
