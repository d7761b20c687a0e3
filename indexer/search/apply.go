package search

import (
	"context"
	"fmt"
	"time"

	"github.com/blevesearch/bleve/v2"
	"golang.org/x/sync/errgroup"
)

// Batching: bleve analyses a batch's documents in parallel, then builds
// one segment on one goroutine. Two batches in flight let the analysis of
// one overlap the segment build of the other. CPU per document hardly
// depends on the batch size, but memory does: the analysed form of a batch
// is many times its text (docs/search.md, "Indexing", has the figures).
// batchDocs counts per shard. The byte cap
// bounds memory when documents are large (up to 10 MiB each). Variables,
// not constants, so that tests can exercise many batches cheaply.
var (
	batchDocs    = 150
	batchBytes   = 8 << 20
	batchWriters = 2
)

// Apply indexes upserts and removes deletes. An upsert replaces whatever
// the index held for that ID (fields absent from the new version
// disappear), so a moved folder is handled by upserting its documents with
// their new Path and Ancestors. If an ID appears several times in upserts
// the last one wins; an ID both upserted and deleted is deleted. Deleting an
// unknown ID is not an error.
//
// Large calls are split into batches; Apply is not atomic across batches:
// on error or cancellation some batches may have been applied. Since every
// operation is idempotent, re-applying the same call is the recovery.
// Calls are serialised; searches run concurrently and see each batch as
// it is applied.
func (ix *Index) Apply(ctx context.Context, upserts []Document, deletes []string) error {
	ix.writeMu.Lock()
	defer ix.writeMu.Unlock()
	// writeMu keeps bi from being swapped or closed under us; mu is only
	// held to read it, so searches never queue behind a long Apply.
	ix.mu.RLock()
	sh, an := ix.sh, ix.an
	ix.mu.RUnlock()
	if sh == nil {
		return ErrClosed
	}
	start := time.Now()
	if err := applyTo(ctx, sh, an, upserts, deletes); err != nil {
		return fmt.Errorf("applying %d upserts and %d deletes to the search index: %w",
			len(upserts), len(deletes), err)
	}
	ix.log.Debug("applied changes to search index", "upserts", len(upserts),
		"deletes", len(deletes), "took", time.Since(start))
	return nil
}

// applyTo writes to the shards, each document to its own. Documents are
// deduplicated first so that batches hold disjoint IDs and can be applied
// concurrently in any order.
func applyTo(ctx context.Context, sh shards, an *analyzers, upserts []Document, deletes []string) error {
	deleted := make(map[string]bool, len(deletes))
	for _, id := range deletes {
		if id != "" {
			deleted[id] = true
		}
	}
	last := make(map[string]int, len(upserts))
	for i := range upserts {
		last[upserts[i].ID] = i
	}
	if len(deleted) == 0 && len(upserts) == 0 {
		return nil
	}

	type shardBatch struct {
		shard int
		b     *bleve.Batch
	}
	g, gctx := errgroup.WithContext(ctx)
	batches := make(chan shardBatch, 1)
	g.Go(func() error {
		defer close(batches)
		bs := make([]*bleve.Batch, len(sh))
		sizes := make([]int, len(sh))
		for i, bi := range sh {
			bs[i] = bi.NewBatch()
		}
		for id := range deleted {
			bs[sh.of(id)].Delete(id)
		}
		flush := func(i int) error {
			select {
			case batches <- shardBatch{i, bs[i]}:
			case <-gctx.Done():
				return gctx.Err()
			}
			bs[i], sizes[i] = sh[i].NewBatch(), 0
			return nil
		}
		for i := range upserts {
			d := &upserts[i]
			if last[d.ID] != i || deleted[d.ID] {
				continue
			}
			doc, err := buildDocument(an, d)
			if err != nil {
				return err
			}
			s := sh.of(d.ID)
			if err := bs[s].IndexAdvanced(doc); err != nil {
				return fmt.Errorf("document %s: %w", d.ID, err)
			}
			sizes[s] += len(d.Content)
			if bs[s].Size() >= batchDocs || sizes[s] >= batchBytes {
				if err := flush(s); err != nil {
					return err
				}
			}
		}
		for i := range bs {
			if bs[i].Size() > 0 {
				if err := flush(i); err != nil {
					return err
				}
			}
		}
		return nil
	})
	for w := 0; w < batchWriters; w++ {
		g.Go(func() error {
			for sb := range batches {
				if err := gctx.Err(); err != nil {
					return err
				}
				if err := sh[sb.shard].Batch(sb.b); err != nil {
					return fmt.Errorf("writing batch of %d operations to shard %d: %w", sb.b.Size(), sb.shard, err)
				}
			}
			return nil
		})
	}
	return g.Wait()
}
