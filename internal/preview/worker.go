package preview

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"notreasso/internal/filetype"
	"notreasso/internal/repo"
)

// maxAttempts bounds the renderings tried again after a failure (a crash
// may be transient); a timeout or a file with nothing to show is final.
const maxAttempts = 3

const cursorKey = "previews.cursor"

// cursorEvery is how often the journal cursor is saved while busy.
const cursorEvery = 5 * time.Second

// Hooks let the server observe the worker (metrics).
type Hooks struct {
	Queue  func(n int64)     // files waiting for their previews
	Failed func(kind string) // a rendering that failed (not "nothing to show")
}

// Options configure the Worker.
type Options struct {
	Exe     string   // binary run as the child; os.Executable() if empty
	Args    []string // its arguments before the job's ({"preview"} if nil)
	Limits  Limits
	Workers int    // renderings at once (LibreOffice is one at a time whatever this says); 2 if 0
	TempDir string // local copies of stored content (S3); the system's if empty
	Tools   *Tools // nil: looked up on PATH
	Logger  *slog.Logger
	Hooks   Hooks
	// Settle is how long changes must pause, after one woke the worker,
	// before it reads the journal (at most repo.SettleAtMost after the first): a
	// sync app's burst of uploads then costs one read after it, not three
	// per upload, and no rendering competes with its requests. 0: none
	// (tests).
	Settle time.Duration
}

// Worker renders the previews of uploaded files in the background and
// pages of PDFs on demand.
type Worker struct {
	repo   *repo.Service
	o      Options
	tools  Tools
	log    *slog.Logger
	office sync.Mutex    // one LibreOffice conversion at a time
	pages  chan struct{} // page renderings at once
	prio   chan item     // files someone is looking at
	queued atomic.Int64
	lag    atomic.Int64

	mu       sync.Mutex
	inflight map[string]chan struct{} // by source hash
}

type item struct{ hash, mime, name string }

// New builds the worker; Run starts it.
func New(r *repo.Service, o Options) (*Worker, error) {
	if o.Exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find the preview worker binary: %w", err)
		}
		o.Exe = exe
	}
	if o.Args == nil {
		o.Args = []string{"preview"}
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Limits = o.Limits.withDefaults()
	w := &Worker{repo: r, o: o, log: o.Logger.With("component", "previews"), pages: make(chan struct{}, 2),
		prio: make(chan item, 64), inflight: map[string]chan struct{}{}}
	if o.Tools != nil {
		w.tools = *o.Tools
	} else {
		w.tools = FindTools()
	}
	return w, nil
}

// Office reports whether office documents are shown as pages (LibreOffice
// and pdftoppm are installed).
func (w *Worker) Office() bool { return w.tools.Soffice != "" && w.tools.PDFToPPM != "" }

// Pages reports whether PDF pages can be shown as images.
func (w *Worker) Pages() bool { return w.tools.PDFToPPM != "" }

// Plan lists the renderings made of a file on this server.
func (w *Worker) Plan(mime, name string) []string {
	return Plan(mime, name, w.tools.Soffice != "", w.tools.PDFToPPM != "")
}

// Queue is the number of files waiting for their previews.
func (w *Worker) Queue() int64 { return w.queued.Load() + w.lag.Load() }

func (w *Worker) report() {
	if w.o.Hooks.Queue != nil {
		w.o.Hooks.Queue(w.Queue())
	}
}

// Want asks for a file's previews before the others (someone opened its
// page) and waits up to wait for them. It reports whether they are done.
func (w *Worker) Want(ctx context.Context, hash, mime, name string, wait time.Duration) bool {
	if hash == "" || len(w.Plan(mime, name)) == 0 {
		return true
	}
	if !w.needs(ctx, item{hash, mime, name}) {
		return true
	}
	w.mu.Lock()
	_, busy := w.inflight[hash]
	w.mu.Unlock()
	if !busy {
		select {
		case w.prio <- item{hash, mime, name}:
		default:
		}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		w.mu.Lock()
		ch, busy := w.inflight[hash]
		w.mu.Unlock()
		if !busy {
			if !w.needs(ctx, item{hash, mime, name}) {
				return true
			}
			ch = nil
		}
		select {
		case <-ch:
		case <-t.C:
			return false
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Run follows the journal and renders what each new content needs, until
// ctx ends. Workers render at once; files someone is looking at first.
func (w *Worker) Run(ctx context.Context) error {
	v, err := w.repo.Index.WorkerState(ctx, cursorKey)
	if err != nil {
		return err
	}
	cursor, _ := strconv.ParseInt(v, 10, 64)
	work := make(chan item)
	var wg sync.WaitGroup
	var batch sync.WaitGroup
	for range w.o.Workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case it := <-w.prio:
					w.ensure(ctx, it)
				case it := <-work:
					w.ensure(ctx, it)
					w.queued.Add(-1)
					w.report()
					batch.Done()
				}
			}
		})
	}
	defer wg.Wait()
	changed := w.repo.Watch()
	var saved time.Time
	defer func() {
		if ctx.Err() != nil {
			ctx = context.WithoutCancel(ctx)
		}
		w.repo.Index.SetWorkerState(ctx, cursorKey, strconv.FormatInt(cursor, 10))
	}()
	for {
		n, next, err := w.pass(ctx, cursor, work, &batch)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			w.log.Error("previews: reading the journal failed; will retry", "err", err)
		} else if next != cursor {
			cursor = next
			// Saved at most every few seconds: a write per upload would
			// queue behind (and delay) the uploads' own transactions, and
			// entries read again after a restart cost a check each.
			if time.Since(saved) > cursorEvery {
				if err := w.repo.Index.SetWorkerState(ctx, cursorKey, strconv.FormatInt(cursor, 10)); err != nil {
					w.log.Error("previews: saving the cursor", "err", err)
				}
				saved = time.Now()
			}
		}
		if n > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
			if !repo.Settle(ctx, changed, w.o.Settle, repo.SettleAtMost) {
				return nil
			}
		case <-time.After(5 * time.Second): // changes made by other processes
		}
	}
}

// pass sends the files of the next journal entries that need previews to
// work, waits until they are done, and returns how many entries it read
// and the cursor after them.
func (w *Worker) pass(ctx context.Context, cursor int64, work chan<- item, batch *sync.WaitGroup) (int, int64, error) {
	head, err := w.repo.Index.LastJournalSeq(ctx)
	if err != nil {
		return 0, cursor, err
	}
	w.lag.Store(max(0, head-cursor))
	w.report()
	entries, err := w.repo.Index.JournalSince(ctx, cursor, 500)
	if err != nil || len(entries) == 0 {
		return 0, cursor, err
	}
	seen := map[int64]bool{}
	for _, e := range entries {
		if e.NodeID == 0 || seen[e.NodeID] || !w.mayNeed(e) {
			continue
		}
		seen[e.NodeID] = true
		files, _, err := w.repo.Index.IndexFiles(ctx, e.NodeID)
		if err != nil {
			return 0, cursor, err
		}
		for _, f := range files {
			it := item{f.Hash, f.Mime, f.Name}
			if f.Hash == "" || repo.IsOSJunk(f.Name) || !w.needs(ctx, it) {
				continue
			}
			w.queued.Add(1)
			batch.Add(1)
			select {
			case work <- it:
			case <-ctx.Done():
				w.queued.Add(-1)
				batch.Done()
				return 0, cursor, ctx.Err()
			}
		}
	}
	batch.Wait()
	last := entries[len(entries)-1].Seq
	if h, err := w.repo.Index.LastJournalSeq(ctx); err == nil {
		head = h // what came in meanwhile is still to do
	}
	w.lag.Store(max(0, head-last))
	w.report()
	return len(entries), last, nil
}

// contentActions are the journal actions that can bring a content, or
// give one a name with another extension, to a file.
var contentActions = map[string]bool{"create": true, "version": true, "restore_version": true, "copy": true,
	"move": true, "restore": true, "share_upload": true}

// mayNeed reports whether a journal entry may call for renderings, from
// what it says alone: reading the tree for each upload of a text file
// would slow uploads down for nothing.
func (w *Worker) mayNeed(e repo.JournalEntry) bool {
	if !contentActions[e.Action] {
		return false
	}
	if e.Action != "create" && e.Action != "version" {
		return true
	}
	var d struct {
		Path string `json:"path"`
	}
	if json.Unmarshal([]byte(e.Details), &d) != nil || d.Path == "" {
		return true
	}
	name := path.Base(d.Path)
	return filetype.Ext(name) == "" || len(w.Plan("", name)) > 0 // no extension: the type decides
}

// needs reports whether a renderings of the file is missing (or failed and
// worth another try).
func (w *Worker) needs(ctx context.Context, it item) bool {
	for _, kind := range w.Plan(it.mime, it.name) {
		p, ok, err := w.repo.Previews.GetPreview(ctx, it.hash, kind)
		if err != nil || !ok || (p.Status == repo.PreviewFailed && p.Attempts < maxAttempts && !timedOut(p)) {
			return true
		}
	}
	return false
}

func timedOut(p repo.Preview) bool { return len(p.Reason) >= 7 && p.Reason[:7] == "timeout" }

// ensure makes the file's missing renderings, once at a time per content.
func (w *Worker) ensure(ctx context.Context, it item) {
	w.mu.Lock()
	if ch, busy := w.inflight[it.hash]; busy {
		w.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
		}
		return
	}
	ch := make(chan struct{})
	w.inflight[it.hash] = ch
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.inflight, it.hash)
		w.mu.Unlock()
		close(ch)
	}()
	for _, kind := range w.Plan(it.mime, it.name) {
		p, ok, err := w.repo.Previews.GetPreview(ctx, it.hash, kind)
		if err != nil {
			w.log.Error("previews: read", "err", err)
			return
		}
		if ok && (p.Status != repo.PreviewFailed || p.Attempts >= maxAttempts || timedOut(p)) {
			continue
		}
		if err := w.make(ctx, it, kind); err != nil && ctx.Err() == nil {
			w.log.Error("previews: render", "kind", kind, "source", it.hash, "err", err)
		}
	}
}

// make renders one kind of a file and records the result.
func (w *Worker) make(ctx context.Context, it item, kind string) error {
	job := Job{Op: kind, Mime: it.mime, Name: it.name, Size: ThumbSize}
	source := it.hash
	if kind == KindThumb && IsOffice(it.mime, it.name) {
		// An office document's thumbnail is its PDF's first page.
		pdf, ok, err := w.repo.Previews.GetPreview(ctx, it.hash, KindPDF)
		if err != nil {
			return err
		}
		if !ok || pdf.Status != repo.PreviewOK {
			return w.repo.Previews.PutPreview(ctx, repo.Preview{Source: it.hash, Kind: kind, Status: repo.PreviewNone, Reason: "no PDF of the document"}, "")
		}
		source, job.Mime, job.Name = pdf.Derived, "application/pdf", "document.pdf"
	}
	res, err := w.render(ctx, job, source, it.mime, it.name)
	if err != nil {
		return err
	}
	return w.record(ctx, it.hash, kind, res)
}

// render runs the child on the content source; the result file is in
// res.file (removed by record).
func (w *Worker) render(ctx context.Context, job Job, source, mime, name string) (rendered, error) {
	in, cleanup, err := w.localCopy(ctx, source)
	if err != nil {
		return rendered{}, err
	}
	defer cleanup()
	out, err := os.CreateTemp(w.o.TempDir, "preview-*")
	if err != nil {
		return rendered{}, err
	}
	out.Close()
	if job.Op == OpPDF {
		w.office.Lock()
		defer w.office.Unlock()
	}
	start := time.Now()
	res, err := RunIsolated(ctx, w.o.Exe, w.o.Args, job, in, out.Name(), w.o.Limits)
	if err != nil {
		os.Remove(out.Name())
		return rendered{}, err
	}
	w.log.Debug("preview rendered", "op", job.Op, "name", name, "status", res.Status, "reason", res.Reason, "took", time.Since(start))
	return rendered{Result: res, file: out.Name()}, nil
}

type rendered struct {
	Result
	file string
}

func (w *Worker) record(ctx context.Context, source, kind string, r rendered) error {
	defer os.Remove(r.file)
	p := repo.Preview{Source: source, Kind: kind, Status: r.Status, Mime: r.Mime, Width: r.Width, Height: r.Height,
		Pages: r.Pages, Reason: r.Reason}
	if p.Status != repo.PreviewOK && p.Status != repo.PreviewNone {
		p.Status = repo.PreviewFailed
		if w.o.Hooks.Failed != nil {
			label := kind
			if len(label) > 5 && label[:5] == "page-" {
				label = "page"
			}
			w.o.Hooks.Failed(label)
		}
		w.log.Warn("preview failed", "kind", kind, "source", source, "reason", r.Reason)
	}
	return w.repo.Previews.PutPreview(ctx, p, r.file)
}

// localCopy gives a file path holding the content: the blob itself for
// the local store, a temporary download otherwise.
func (w *Worker) localCopy(ctx context.Context, hash string) (string, func(), error) {
	content := w.repo.Index.Content()
	if p, ok := content.LocalPath(hash); ok {
		return p, func() {}, nil
	}
	rc, err := content.Get(ctx, hash, 0, -1)
	if err != nil {
		return "", nil, fmt.Errorf("read blob %s: %w", hash, err)
	}
	defer rc.Close()
	f, err := os.CreateTemp(w.o.TempDir, "blob-*")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.Remove(f.Name()) }
	_, err = io.Copy(f, rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("copy blob %s: %w", hash, err)
	}
	return filepath.Clean(f.Name()), cleanup, nil
}

// Page returns page n (1-based) of the PDF whose content is pdf, as a
// cached image, rendering it now if needed (two at a time).
func (w *Worker) Page(ctx context.Context, pdf string, n int) (repo.Preview, error) {
	kind := KindPage(n)
	if p, ok, err := w.repo.Previews.GetPreview(ctx, pdf, kind); err != nil || ok {
		return p, err
	}
	select {
	case w.pages <- struct{}{}:
	case <-ctx.Done():
		return repo.Preview{}, ctx.Err()
	}
	defer func() { <-w.pages }()
	if p, ok, err := w.repo.Previews.GetPreview(ctx, pdf, kind); err != nil || ok {
		return p, err
	}
	r, err := w.render(ctx, Job{Op: OpPage, Mime: "application/pdf", Name: "document.pdf", Size: PageWidth, Page: n}, pdf, "application/pdf", "document.pdf")
	if err != nil {
		return repo.Preview{}, err
	}
	if err := w.record(ctx, pdf, kind, r); err != nil {
		return repo.Preview{}, err
	}
	p, _, err := w.repo.Previews.GetPreview(ctx, pdf, kind)
	return p, err
}
