package search

import (
	"context"
	"fmt"

	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// excludeQuery passes on the matches of inner that match none of not
// (`-word`, `-"phrase"`, `-type:pdf`): what a BooleanQuery's must-not
// clauses do, but the excluded documents are read once, unscored, into
// a set of document numbers, and each match of inner is checked against
// it. A must-not clause advanced its word's seven field searchers to
// every candidate of inner instead, most of an exclusion query's CPU;
// unscored, a word's term searchers are one union of posting bitmaps.
// Scores are inner's.
type excludeQuery struct {
	inner query.Query
	not   []query.Query
}

func (q *excludeQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, opts bsearch.SearcherOptions) (bsearch.Searcher, error) {
	excluded := &aclFilterSearcher{}
	for _, nq := range q.not {
		if err := matchesInto(ctx, r, m, nq, excluded); err != nil {
			return nil, err
		}
	}
	inner, err := q.inner.Searcher(ctx, r, m, opts)
	if err != nil {
		return nil, err
	}
	if len(excluded.words) == 0 {
		return inner, nil
	}
	return &excludeSearcher{Searcher: inner, excluded: excluded}, nil
}

// matchesInto adds the document numbers q matches to set.
func matchesInto(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, q query.Query, set *aclFilterSearcher) error {
	s, err := q.Searcher(ctx, r, m, bsearch.SearcherOptions{Score: "none"})
	if err != nil {
		return fmt.Errorf("exclusion: %w", err)
	}
	defer s.Close()
	sctx := &bsearch.SearchContext{DocumentMatchPool: bsearch.NewDocumentMatchPool(s.DocumentMatchPoolSize(), 0)}
	for {
		dm, err := s.Next(sctx)
		if err != nil {
			return fmt.Errorf("exclusion: %w", err)
		}
		if dm == nil {
			return nil
		}
		set.set(dm.IndexInternalID.Value())
		sctx.DocumentMatchPool.Put(dm)
	}
}

// excludeSearcher drops the matches of the embedded searcher that are in
// excluded.
type excludeSearcher struct {
	bsearch.Searcher
	excluded *aclFilterSearcher
}

func (s *excludeSearcher) keep(ctx *bsearch.SearchContext, dm *bsearch.DocumentMatch, err error) (*bsearch.DocumentMatch, error) {
	for err == nil && dm != nil && s.excluded.has(dm.IndexInternalID.Value()) {
		ctx.DocumentMatchPool.Put(dm)
		dm, err = s.Searcher.Next(ctx)
	}
	return dm, err
}

func (s *excludeSearcher) Next(ctx *bsearch.SearchContext) (*bsearch.DocumentMatch, error) {
	dm, err := s.Searcher.Next(ctx)
	return s.keep(ctx, dm, err)
}

func (s *excludeSearcher) Advance(ctx *bsearch.SearchContext, id index.IndexInternalID) (*bsearch.DocumentMatch, error) {
	dm, err := s.Searcher.Advance(ctx, id)
	return s.keep(ctx, dm, err)
}

func (s *excludeSearcher) Size() int { return s.Searcher.Size() + s.excluded.Size() }
