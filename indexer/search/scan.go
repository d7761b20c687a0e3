package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// first returns the stored fields of at most limit documents matching q
// in each shard, in document-number order, without scoring, sorting or
// counting the rest: completions need a few names, not the best of
// thousands. A search request collects every match (the prefix of a file
// name can start most of them) and loads the stored fields of a whole page
// through an ID lookup per document per segment; here reading stops at
// limit, and only the documents kept are loaded. When ctx ends, what was
// found so far is returned.
func (s shards) first(ctx context.Context, q query.Query, limit int) ([]meta, error) {
	out := make([][]meta, len(s))
	errs := make([]error, len(s))
	var wg sync.WaitGroup
	for i := range s {
		wg.Go(func() { out[i], errs[i] = s.firstIn(ctx, i, q, limit) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var all []meta
	for _, ms := range out {
		all = append(all, ms...)
	}
	return all, nil
}

func (s shards) firstIn(ctx context.Context, shard int, q query.Query, limit int) (ms []meta, err error) {
	bi := s[shard]
	adv, err := bi.Advanced()
	if err != nil {
		return nil, fmt.Errorf("opening search shard %d: %w", shard, err)
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, fmt.Errorf("reading search shard %d: %w", shard, err)
	}
	defer func() {
		if cerr := r.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("closing search shard %d: %w", shard, cerr)
		}
	}()
	sr, err := q.Searcher(ctx, r, bi.Mapping(), bsearch.SearcherOptions{Score: "none"})
	if err != nil {
		return nil, fmt.Errorf("searching shard %d: %w", shard, err)
	}
	defer sr.Close()
	sctx := &bsearch.SearchContext{DocumentMatchPool: bsearch.NewDocumentMatchPool(sr.DocumentMatchPoolSize()+1, 0)}
	var ids []index.IndexInternalID
	for len(ids) < limit && ctx.Err() == nil {
		dm, err := sr.Next(sctx)
		if err != nil {
			return nil, fmt.Errorf("searching shard %d: %w", shard, err)
		}
		if dm == nil {
			break
		}
		ids = append(ids, append(index.IndexInternalID(nil), dm.IndexInternalID...))
		sctx.DocumentMatchPool.Put(dm)
	}
	for _, id := range ids {
		ext, err := r.ExternalID(id)
		if err != nil {
			return nil, fmt.Errorf("reading search shard %d: %w", shard, err)
		}
		doc, err := r.Document(ext)
		if err != nil || doc == nil {
			return nil, fmt.Errorf("loading stored fields of %s: %w", ext, cmpErr(err))
		}
		var m meta
		var decodeErr error
		doc.VisitFields(func(f index.Field) {
			if f.Name() == fMeta {
				decodeErr = json.Unmarshal(f.Value(), &m)
			}
		})
		if decodeErr != nil {
			return nil, fmt.Errorf("decoding stored fields of %s: %w", ext, decodeErr)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// cmpErr names a document that vanished between its match and its load.
func cmpErr(err error) error {
	if err != nil {
		return err
	}
	return errors.New("document gone")
}
