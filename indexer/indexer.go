// Package indexer turns the repository into a searchable index: it follows
// the journal, extracts text (indexer/extract) into a cache keyed by
// content hash, and feeds the bleve index (indexer/search). The index is a
// derived view: it can be deleted and rebuilt from metadata and blobs.
package indexer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"

	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"notreasso/indexer/extract"
	"notreasso/indexer/search"
	"notreasso/internal/acl"
	"notreasso/internal/repo"
)

// Hooks let the caller observe the indexer (metrics) without this package
// depending on a metrics library.
type Hooks struct {
	ExtractionFailed func(format string)
	// Extracted is called for each extraction this server runs (texts
	// another server extracted are not extracted again).
	Extracted func(format string)
	Lag       func(entries int64)
}

type hooks Hooks

func (h hooks) extracted(format string) {
	if h.Extracted != nil {
		h.Extracted(format)
	}
}

func (h hooks) extractionFailed(format string) {
	if h.ExtractionFailed != nil {
		h.ExtractionFailed(format)
	}
}

// Options configures the indexer.
type Options struct {
	Dir    string         // where the index and the text cache live (data/index, data/text)
	Exe    string         // binary to run as the isolated extraction worker; os.Executable() if empty
	Limits extract.Limits // extraction limits
	// BuildHeap is the heap budget of builds from scratch (see relaxGC); 0: Go's defaults.
	BuildHeap int64
	// Settle is how long changes must pause before the indexer indexes
	// them (at most repo.SettleAtMost after the first), so that a burst (a sync
	// app's first run: thousands of small uploads) becomes one batch after
	// it, instead of index commits, with their disk flushes, that compete
	// with its requests. 0: DefaultSettle; negative: none.
	Settle time.Duration
	Logger *slog.Logger
	Hooks  Hooks
}

// DefaultSettle is Options.Settle's default: short enough that a document
// is searchable within a second of its upload.
const DefaultSettle = 300 * time.Millisecond

// Indexer follows the journal into the search index.
type Indexer struct {
	repo    *repo.Service
	ix      *search.Index
	texts   *textStore
	exe     string
	tmp     string
	limits  extract.Limits
	heap    int64
	settle  time.Duration
	log     *slog.Logger
	metrics hooks

	cursor  atomic.Int64 // last journal seq applied
	head    atomic.Int64 // last journal seq seen
	pending atomic.Bool  // a change is known that head does not count yet (see Lag)
	ready   atomic.Bool  // caught up at least once
	rebuild atomic.Bool  // the index is new or outdated: Run rebuilds it first
	built   atomic.Int64 // documents indexed so far by that rebuild

	// cursorKey and rebuildKey name this index's state in worker_state:
	// servers sharing a database each keep their own index, so each has
	// its own cursor (see nodeKeys).
	cursorKey, rebuildKey string
}

const (
	cursorKey = "indexer.cursor"
	// rebuildKey is "1" from the moment a new or outdated index is found
	// until a rebuild commits: a server stopped mid-build finds the new
	// generation empty but not outdated, and must build it again rather
	// than trust the cursor of the index it replaced.
	rebuildKey = "indexer.rebuild"
)

// Open opens (creating if needed) the index under o.Dir.
func Open(ctx context.Context, r *repo.Service, o Options) (*Indexer, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find the extraction worker binary: %w", err)
		}
		o.Exe = exe
	}
	if o.Settle == 0 {
		o.Settle = DefaultSettle
	}
	x := &Indexer{repo: r, exe: o.Exe, limits: o.Limits, heap: o.BuildHeap, settle: max(o.Settle, 0), log: o.Logger.With("component", "indexer"), metrics: hooks(o.Hooks)}
	var err error
	if x.texts, err = newTextStore(filepath.Join(o.Dir, "text"), r); err != nil {
		return nil, err
	}
	x.tmp = filepath.Join(o.Dir, "text", "tmp")
	x.ix, err = search.Open(filepath.Join(o.Dir, "index"), o.Logger, search.WithTextSource(x.textSource))
	if err != nil {
		return nil, fmt.Errorf("open search index: %w", err)
	}
	if err := x.nodeKeys(ctx, o.Dir); err != nil {
		x.ix.Close()
		return nil, err
	}
	v, err := r.Index.WorkerState(ctx, x.cursorKey)
	if err != nil {
		x.ix.Close()
		return nil, err
	}
	cur, _ := strconv.ParseInt(v, 10, 64)
	pending, err := r.Index.WorkerState(ctx, x.rebuildKey)
	if err != nil {
		x.ix.Close()
		return nil, err
	}
	if x.ix.NeedsRebuild() || pending == "1" {
		if err := r.Index.SetWorkerState(ctx, x.rebuildKey, "1"); err != nil {
			x.ix.Close()
			return nil, err
		}
		// A new or outdated index: Run builds a new generation from the
		// repository (the outdated one serves searches meanwhile), then
		// follows the journal from where the build started.
		cur = 0
		x.rebuild.Store(true)
	}
	x.cursor.Store(cur)
	return x, nil
}

// nodeKeys picks this index's worker_state keys: "indexer.cursor@ID",
// where ID is a random name kept in the data directory (node-id), made
// once. An installation from before keeps using its unsuffixed keys, moved
// over the first time: they were this data directory's.
func (x *Indexer) nodeKeys(ctx context.Context, dir string) error {
	file := filepath.Join(dir, "node-id")
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		id := make([]byte, 8)
		rand.Read(id)
		b = []byte(hex.EncodeToString(id))
		if err := os.WriteFile(file, b, 0o640); err != nil {
			return fmt.Errorf("name this server's index: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("read this server's index name: %w", err)
	}
	id := strings.TrimSpace(string(b))
	x.cursorKey, x.rebuildKey = cursorKey+"@"+id, rebuildKey+"@"+id
	if v, err := x.repo.Index.WorkerState(ctx, x.cursorKey); err != nil || v != "" {
		return err
	}
	old, err := x.repo.Index.WorkerState(ctx, cursorKey)
	if err != nil || old == "" {
		return err
	}
	if err := x.repo.Index.SetWorkerState(ctx, x.cursorKey, old); err != nil {
		return err
	}
	pending, err := x.repo.Index.WorkerState(ctx, rebuildKey)
	if err != nil {
		return err
	}
	return x.repo.Index.SetWorkerState(ctx, x.rebuildKey, pending)
}

// Close closes the index.
func (x *Indexer) Close() error { return x.ix.Close() }

// textSource feeds snippets: the cached text of the document's current content.
func (x *Indexer) textSource(ctx context.Context, id string) (io.ReadCloser, error) {
	nid, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, os.ErrNotExist
	}
	// The common case, a text stored for the current content, costs one
	// statement; the others (a text only in this server's cache, none
	// yet) go by the content's hash.
	if p, ok, err := x.repo.Previews.CurrentPreview(ctx, nid, repo.PreviewText); err == nil && ok && p.Status == repo.PreviewOK {
		return x.texts.openStored(ctx, p)
	}
	hash, err := x.repo.Index.CurrentBlob(ctx, nid)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", os.ErrNotExist, err)
	}
	return x.texts.open(ctx, hash)
}

// Text returns up to max bytes of a file's extracted text, for previews of
// office documents. The caller has checked that the user may read hash.
func (x *Indexer) Text(hash string, max int64) (string, error) {
	return x.texts.read(context.Background(), hash, max)
}

// Search runs q for principal p; the permission filter is applied inside
// the index query, so totals and facets only count what p may read.
func (x *Indexer) Search(ctx context.Context, p acl.Principal, q search.Query) (*search.Result, error) {
	a, err := x.access(ctx, p)
	if err != nil {
		return nil, err
	}
	q.Access = a
	return x.ix.Search(ctx, q)
}

// access is what p may read, as the index's permission filter takes it:
// granted roots and, below them, the restricted folders p may not open.
func (x *Indexer) access(ctx context.Context, p acl.Principal) (search.Access, error) {
	all, roots, cuts, err := x.repo.Index.ReadableRoots(ctx, p)
	if err != nil {
		return search.Access{}, err
	}
	a := search.Access{All: all}
	for _, r := range roots {
		a.Roots = append(a.Roots, repo.FormatID(r))
	}
	for r, cs := range cuts {
		if a.Cuts == nil {
			a.Cuts = map[string][]string{}
		}
		for _, c := range cs {
			a.Cuts[repo.FormatID(r)] = append(a.Cuts[repo.FormatID(r)], repo.FormatID(c))
		}
	}
	return a, nil
}

// Suggest completes what p is typing from the names, folders and tags of
// documents p may read.
func (x *Indexer) Suggest(ctx context.Context, p acl.Principal, text string, n int) ([]search.Suggestion, error) {
	a, err := x.access(ctx, p)
	if err != nil {
		return nil, err
	}
	return x.ix.Suggest(ctx, text, a, n)
}

// Rebuild builds a fresh index generation from metadata and blobs, then
// swaps it in atomically: an interrupted rebuild leaves the old index
// intact. progress is called after each document (may be nil).
func (x *Indexer) Rebuild(ctx context.Context, progress func(done int)) error {
	rb, err := x.ix.BeginRebuild()
	if err != nil {
		return err
	}
	defer rb.Abort()
	defer relaxGC(x.heap, x.log)()
	from, err := x.repo.Index.LastJournalSeq(ctx)
	if err != nil {
		return err
	}
	// Until the commit, the whole journal is behind the live index.
	x.head.Store(max(x.head.Load(), from))
	x.report()
	b := &batch{x: x, apply: func(ctx context.Context, docs []search.Document, _ []string) error { return rb.Add(ctx, docs) }}
	defer b.wait()
	err = x.repo.Index.AllIndexFiles(ctx, batchDocs, func(files []repo.IndexNode) error {
		hashes := make([]string, 0, len(files))
		for _, f := range files {
			if f.Hash != "" {
				hashes = append(hashes, f.Hash)
			}
		}
		records, err := x.repo.Index.GetExtractions(ctx, hashes)
		if err != nil {
			return err
		}
		for _, f := range files {
			e, known := records[f.Hash]
			if err := b.addFile(ctx, f, e, known); err != nil {
				return err
			}
			if progress != nil {
				progress(b.count)
			}
		}
		return nil
	})
	if err == nil {
		err = b.flush(ctx)
	}
	if err == nil {
		err = b.wait()
	}
	if err != nil {
		return err
	}
	if err := rb.Commit(ctx); err != nil {
		return err
	}
	x.cursor.Store(from)
	if err := x.repo.Index.SetWorkerState(ctx, x.cursorKey, strconv.FormatInt(from, 10)); err != nil {
		return err
	}
	return x.repo.Index.SetWorkerState(ctx, x.rebuildKey, "")
}

// FileCount returns how many files a rebuild will visit.
func (x *Indexer) FileCount(ctx context.Context) (int, error) {
	n := 0
	err := x.repo.Index.AllFileIDs(ctx, func(int64) error { n++; return nil })
	return n, err
}
