package search

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/blevesearch/bleve/v2"
)

// ErrRebuildInProgress is returned by BeginRebuild while another rebuild of
// the same index is open.
var ErrRebuildInProgress = errors.New("search index rebuild already in progress")

// Rebuild is a new generation of the index being filled next to the live
// one, which keeps serving searches (and Apply) until Commit swaps them.
// Typical use, e.g. after NeedsRebuild or a mapping change:
//
//	rb, err := ix.BeginRebuild()
//	if err != nil { … }
//	defer rb.Abort() // no-op after a successful Commit
//	cursor := journal.Position()        // changes after this are replayed
//	for docs := range allDocumentsInChunks() {
//		if err := rb.Add(ctx, docs); err != nil { … }
//	}
//	if err := rb.Commit(ctx); err != nil { … }
//	// replay journal entries after cursor with ix.Apply
//
// Apply calls made during the rebuild go to the old generation only; they
// are lost at the swap unless replayed, hence the journal cursor. Until
// Commit's atomic switch of CURRENT the old index is untouched, so an
// interrupted rebuild (error, crash, power cut) leaves it fully usable; the
// partial generation is deleted by Abort or by the next Open.
type Rebuild struct {
	ix  *Index
	gen string
	sh  shards
	an  *analyzers

	mu   sync.Mutex
	done bool
}

// BeginRebuild creates an empty generation to fill with Add.
func (ix *Index) BeginRebuild() (*Rebuild, error) {
	ix.mu.Lock()
	if ix.sh == nil {
		ix.mu.Unlock()
		return nil, ErrClosed
	}
	if ix.rebuilding {
		ix.mu.Unlock()
		return nil, ErrRebuildInProgress
	}
	ix.rebuilding = true
	gen := nextGeneration(ix.gen)
	ix.mu.Unlock()

	rb, err := ix.beginRebuild(gen)
	if err != nil {
		ix.mu.Lock()
		ix.rebuilding = false
		ix.mu.Unlock()
		return nil, err
	}
	ix.log.Info("search index rebuild started", "gen", gen)
	return rb, nil
}

func (ix *Index) beginRebuild(gen string) (*Rebuild, error) {
	dir := filepath.Join(ix.dir, gen)
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("clearing %s: %w", dir, err)
	}
	err := createShards(dir, ix.opts.shards)
	var sh shards
	if err == nil {
		// unsafe_batch: batches return before their segment is on disk,
		// which speeds up bulk indexing. It is safe here because nothing
		// uses this generation before Commit waits for persistence, and it
		// is not stored in the index, so the reopened index is durable.
		sh, err = openShards(dir, runtimeConfig(true))
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("creating search index generation %s: %w", gen, err)
	}
	an, err := loadAnalyzers(sh[0].Mapping())
	if err != nil {
		sh.close()
		os.RemoveAll(dir)
		return nil, err
	}
	return &Rebuild{ix: ix, gen: gen, sh: sh, an: an}, nil
}

// Add indexes docs into the new generation, with the same semantics as
// Apply. Add may be called from one goroutine at a time.
func (rb *Rebuild) Add(ctx context.Context, docs []Document) error {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	if rb.done {
		return errors.New("search index rebuild already committed or aborted")
	}
	if err := applyTo(ctx, rb.sh, rb.an, docs, nil); err != nil {
		return fmt.Errorf("rebuilding search index: adding %d documents: %w", len(docs), err)
	}
	return nil
}

// Commit makes the new generation durable, then atomically makes it the
// live index and deletes the old one. On error the old index stays live.
func (rb *Rebuild) Commit(ctx context.Context) error {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	if rb.done {
		return errors.New("search index rebuild already committed or aborted")
	}
	ix, dir := rb.ix, filepath.Join(rb.ix.dir, rb.gen)
	err := waitPersisted(ctx, rb.sh)
	if cerr := rb.sh.close(); err == nil {
		err = cerr
	}
	var sh shards
	if err == nil {
		sh, err = openShards(dir, runtimeConfig(false))
	}
	var an *analyzers
	if err == nil {
		an, err = loadAnalyzers(sh[0].Mapping())
	}
	if err != nil {
		if sh != nil {
			sh.close()
		}
		rb.abort()
		return fmt.Errorf("committing search index rebuild %s: %w", rb.gen, err)
	}

	ix.writeMu.Lock() // no Apply half-way through the old index
	ix.mu.Lock()
	old, oldGen := ix.sh, ix.gen
	if old == nil {
		err = ErrClosed
	} else {
		err = writeCurrent(ix.dir, rb.gen)
	}
	if err == nil {
		ix.sh, ix.gen, ix.an, ix.stale = sh, rb.gen, an, false
	}
	ix.rebuilding = false
	ix.mu.Unlock()
	ix.writeMu.Unlock()
	rb.done = true
	if err != nil {
		sh.close()
		os.RemoveAll(dir)
		return fmt.Errorf("committing search index rebuild %s: %w", rb.gen, err)
	}

	if cerr := old.close(); cerr != nil {
		ix.log.Warn("closing previous search index generation", "gen", oldGen, "err", cerr)
	}
	if rerr := os.RemoveAll(filepath.Join(ix.dir, oldGen)); rerr != nil {
		ix.log.Warn("removing previous search index generation", "gen", oldGen, "err", rerr)
	}
	n, _ := sh.docCount()
	ix.log.Info("search index rebuild committed", "gen", rb.gen, "docs", n, "shards", len(sh))
	return nil
}

// Abort discards the new generation. It is a no-op after Commit or Abort.
func (rb *Rebuild) Abort() {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	if !rb.done {
		rb.sh.close()
		rb.abort()
	}
}

func (rb *Rebuild) abort() {
	rb.done = true
	if err := os.RemoveAll(filepath.Join(rb.ix.dir, rb.gen)); err != nil {
		rb.ix.log.Warn("removing aborted search index generation", "gen", rb.gen, "err", err)
	}
	rb.ix.mu.Lock()
	rb.ix.rebuilding = false
	rb.ix.mu.Unlock()
	rb.ix.log.Info("search index rebuild aborted", "gen", rb.gen)
}

// waitPersisted returns once everything indexed so far in every shard is
// on disk.
func waitPersisted(ctx context.Context, sh shards) error {
	errs := make([]error, len(sh))
	var wg sync.WaitGroup
	for i, bi := range sh {
		wg.Go(func() { errs[i] = waitShardPersisted(ctx, bi) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// waitShardPersisted returns once everything indexed so far in bi is on
// disk: batches persist in order, so the callback of a last (empty) batch
// means all earlier ones are persisted too.
func waitShardPersisted(ctx context.Context, bi bleve.Index) error {
	done := make(chan error, 1)
	b := bi.NewBatch()
	b.SetInternal([]byte(versionKey), []byte(mappingVersion))
	b.SetPersistedCallback(func(err error) {
		select {
		case done <- err:
		default:
		}
	})
	if err := bi.Batch(b); err != nil {
		return fmt.Errorf("flushing: %w", err)
	}
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("persisting: %w", err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
