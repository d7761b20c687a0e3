package search

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
)

// ErrClosed is returned by every method called after Close.
var ErrClosed = errors.New("search index is closed")

// TextSource opens the extracted text of a document (the extraction
// cache). The index does not store contents; snippets are built from this.
// It must be safe for concurrent use. A missing text should be reported
// with an error wrapping fs.ErrNotExist; the hit then has no snippet.
type TextSource func(ctx context.Context, id string) (io.ReadCloser, error)

// Option configures Open.
type Option func(*options)

type options struct {
	text   TextSource
	shards int
}

// WithTextSource sets where snippets read document texts. Without it, hits
// have no snippets.
func WithTextSource(src TextSource) Option {
	return func(o *options) { o.text = src }
}

// Index is the full-text index of the repository. It is safe for
// concurrent use: any number of Search calls may run alongside one Apply
// (writes are serialised) and a Rebuild.
//
// On disk, path holds a file CURRENT naming the live generation directory
// (gen-000001, …), which holds the shards (shard-0, shard-1, …), each a
// bleve/scorch index (see shards.go). A rebuild fills a new generation
// and switches CURRENT by an atomic rename, so a crash at any point leaves
// CURRENT naming a complete index; stray generations are removed on Open.
type Index struct {
	dir  string
	log  *slog.Logger
	opts options

	writeMu sync.Mutex  // one writer at a time (Apply)
	facets  *facetCache // facet values per segment, shared by every search

	mu         sync.RWMutex // guards the fields below; held R by readers, W to swap/close
	sh         shards       // nil once closed
	gen        string
	an         *analyzers
	stale      bool
	rebuilding bool
}

const (
	currentFile = "CURRENT"
	versionKey  = "notreasso.mapping_version"
)

var genName = regexp.MustCompile(`^gen-[0-9]{6,}$`)

// Open opens the index at path, creating it (empty) if missing. One process
// at a time may open a given path: a second Open fails after lockTimeout.
func Open(path string, logger *slog.Logger, opts ...Option) (*Index, error) {
	if logger == nil {
		logger = slog.Default()
	}
	ix := &Index{dir: path, log: logger.With("component", "search"), opts: options{shards: DefaultShards}, facets: newFacetCache()}
	for _, o := range opts {
		o(&ix.opts)
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("creating index directory: %w", err)
	}
	gen, err := readCurrent(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		gen, err = ix.createFirst()
		if err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	}
	sh, err := openShards(filepath.Join(path, gen), runtimeConfig(false))
	if err != nil {
		return nil, err
	}
	an, err := loadAnalyzers(sh[0].Mapping())
	if err != nil {
		sh.close()
		return nil, fmt.Errorf("opening search index %s: %w", path, err)
	}
	ix.sh, ix.gen, ix.an = sh, gen, an
	if v := sh.version(); v != mappingVersion {
		ix.stale = true
		ix.log.Warn("search index built with another mapping; rebuild it",
			"path", path, "index_version", v, "code_version", mappingVersion)
	} else if len(sh) != ix.opts.shards {
		ix.stale = true
		ix.log.Warn("search index has another number of shards; rebuild it",
			"path", path, "index_shards", len(sh), "shards", ix.opts.shards)
	}
	ix.removeStrayGenerations(gen)
	return ix, nil
}

// lockTimeout bounds how long Open waits for another process holding the
// index (scorch locks its bolt file; without a timeout Open would hang).
var lockTimeout = 10 * time.Second

// runtimeConfig is the scorch configuration used when opening a generation.
func runtimeConfig(unsafeBatch bool) map[string]interface{} {
	c := map[string]interface{}{"bolt_timeout": lockTimeout.String()}
	if unsafeBatch {
		c["unsafe_batch"] = true
	}
	return c
}

// createFirst makes the first generation of a new index. Nothing exists
// until CURRENT is written, so a crash here is cleaned up by the next Open.
func (ix *Index) createFirst() (string, error) {
	ix.removeStrayGenerations("")
	const gen = "gen-000001"
	if err := createShards(filepath.Join(ix.dir, gen), ix.opts.shards); err != nil {
		return "", err
	}
	if err := writeCurrent(ix.dir, gen); err != nil {
		return "", err
	}
	ix.stale = true // new and empty: the caller has to fill it
	ix.log.Info("created search index", "path", ix.dir)
	return gen, nil
}

// newGeneration creates an empty bleve index (a shard) at dir, stamped
// with the mapping version.
func newGeneration(dir string) (bleve.Index, error) {
	m, err := buildMapping()
	if err != nil {
		return nil, err
	}
	bi, err := bleve.NewUsing(dir, m, scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, fmt.Errorf("creating search index %s: %w", dir, err)
	}
	if err := bi.SetInternal([]byte(versionKey), []byte(mappingVersion)); err != nil {
		bi.Close()
		return nil, fmt.Errorf("stamping search index %s: %w", dir, err)
	}
	return bi, nil
}

func readCurrent(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, currentFile))
	if err != nil {
		return "", fmt.Errorf("reading search index pointer: %w", err)
	}
	gen := strings.TrimSpace(string(b))
	if !genName.MatchString(gen) {
		return "", fmt.Errorf("search index pointer %s names %q, not a generation",
			filepath.Join(dir, currentFile), gen)
	}
	return gen, nil
}

// writeCurrent atomically points CURRENT at gen: write a temporary file,
// fsync it, rename it over CURRENT, fsync the directory.
func writeCurrent(dir, gen string) error {
	tmp := filepath.Join(dir, currentFile+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("writing search index pointer: %w", err)
	}
	_, err = f.WriteString(gen + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, currentFile))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing search index pointer: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: not every platform can sync a directory
		d.Close()
	}
	return nil
}

// nextGeneration returns the name following gen.
func nextGeneration(gen string) string {
	n, _ := strconv.Atoi(strings.TrimPrefix(gen, "gen-"))
	return fmt.Sprintf("gen-%06d", n+1)
}

// removeStrayGenerations deletes generation directories other than keep:
// leftovers of an interrupted rebuild or of a swap whose cleanup failed.
func (ix *Index) removeStrayGenerations(keep string) {
	entries, err := os.ReadDir(ix.dir)
	if err != nil {
		ix.log.Warn("listing search index directory", "err", err)
		return
	}
	for _, e := range entries {
		if e.IsDir() && genName.MatchString(e.Name()) && e.Name() != keep {
			if err := os.RemoveAll(filepath.Join(ix.dir, e.Name())); err != nil {
				ix.log.Warn("removing stray search index generation", "gen", e.Name(), "err", err)
			} else {
				ix.log.Info("removed stray search index generation", "gen", e.Name())
			}
		}
	}
}

// NeedsRebuild reports whether the index was just created or was built by
// code with another mapping version. It still serves searches, but the
// caller should run a Rebuild.
func (ix *Index) NeedsRebuild() bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.stale
}

// Count returns the number of documents in the index.
func (ix *Index) Count() (uint64, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.sh == nil {
		return 0, ErrClosed
	}
	n, err := ix.sh.docCount()
	if err != nil {
		return 0, fmt.Errorf("counting indexed documents: %w", err)
	}
	return n, nil
}

// Close closes the index. Searches and writes in progress finish first.
func (ix *Index) Close() error {
	ix.writeMu.Lock()
	defer ix.writeMu.Unlock()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.sh == nil {
		return ErrClosed
	}
	err := ix.sh.close()
	ix.sh = nil
	if err != nil {
		return fmt.Errorf("closing search index: %w", err)
	}
	return nil
}
