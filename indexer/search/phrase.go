package search

import (
	"context"
	"fmt"
	"slices"

	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"
)

// exactPhraseQuery matches the words of a phrase at consecutive positions
// of one field (a removed stop word leaves a gap that any word fills),
// like bleve's MatchPhraseQuery without slop or fuzziness.
//
// bleve's phrase matcher (findPhrasePaths) compares every position of
// each word with every position of the next, so its cost is the product
// of the words' occurrence counts in a document: on a 10 MiB text
// repeating "la commission des finances" 128 000 times, one search for
// "commission des finances" took over three minutes of CPU, and a
// search has no way to stop it. Here the positions of each word are
// sorted and walked together: the cost is linear in the occurrences.
// Hits carry no term locations (snippets are built from the text).
type exactPhraseQuery struct {
	phrase, field, analyzer string
	boost                   float64
}

func newExactPhraseQuery(phrase, field, analyzer string, boost float64) *exactPhraseQuery {
	return &exactPhraseQuery{phrase: phrase, field: field, analyzer: analyzer, boost: boost}
}

// phraseSlot is one position of the phrase: the terms accepted there
// (usually one) and its distance from the first word.
type phraseSlot struct {
	terms  []string
	offset uint64
}

func (q *exactPhraseQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, opts bsearch.SearcherOptions) (bsearch.Searcher, error) {
	an := m.AnalyzerNamed(q.analyzer)
	if an == nil {
		return nil, fmt.Errorf("phrase query: no analyzer named %q", q.analyzer)
	}
	tokens := an.Analyze([]byte(q.phrase))
	if len(tokens) == 0 {
		return query.NewMatchNoneQuery().Searcher(ctx, r, m, opts)
	}
	first := tokens[0].Position
	for _, t := range tokens {
		first = min(first, t.Position)
	}
	var slots []phraseSlot
	for _, t := range tokens {
		off := uint64(t.Position - first)
		i := slices.IndexFunc(slots, func(s phraseSlot) bool { return s.offset == off })
		if i < 0 {
			slots = append(slots, phraseSlot{offset: off})
			i = len(slots) - 1
		}
		if !slices.Contains(slots[i].terms, string(t.Term)) {
			slots[i].terms = append(slots[i].terms, string(t.Term))
		}
	}
	slices.SortFunc(slots, func(a, b phraseSlot) int { return int(a.offset) - int(b.offset) })

	// The term searchers find and score the documents holding every word,
	// without positions: decoding positions (and bleve turning them into
	// term locations) for every such document was most of a phrase
	// search's CPU. Positions are read afterwards, by separate readers,
	// only for the candidates the user may see.
	opts.IncludeTermVectors = false
	var parts []bsearch.Searcher
	closeAll := func() {
		for _, p := range parts {
			p.Close()
		}
	}
	for _, s := range slots {
		var alts []bsearch.Searcher
		for _, term := range s.terms {
			ts, err := searcher.NewTermSearcher(ctx, r, term, q.field, q.boost, opts)
			if err != nil {
				closeAll()
				for _, a := range alts {
					a.Close()
				}
				return nil, fmt.Errorf("phrase query: term %q: %w", term, err)
			}
			alts = append(alts, ts)
		}
		if len(alts) == 1 {
			parts = append(parts, alts[0])
			continue
		}
		ds, err := searcher.NewDisjunctionSearcher(ctx, r, alts, 1, opts)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("phrase query: %w", err)
		}
		parts = append(parts, ds)
	}
	must, err := searcher.NewConjunctionSearcher(ctx, r, parts, opts)
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("phrase query: %w", err)
	}
	s := &exactPhraseSearcher{must: must, slots: slots, pos: make([][]uint64, len(slots))}
	s.acl, _ = ctx.Value(aclContextKey{}).(*aclFilterSearcher)
	for i, slot := range slots {
		for _, term := range slot.terms {
			tfr, err := r.TermFieldReader(ctx, []byte(term), q.field, false, false, true)
			if err != nil {
				s.Close()
				return nil, fmt.Errorf("phrase query: positions of %q: %w", term, err)
			}
			s.readers = append(s.readers, &positionReader{slot: i, tfr: tfr})
		}
	}
	return s, nil
}

// positionReader reads the positions of one term of a phrase. It only
// moves forward: scorch restarts a reader from the beginning when asked
// for a document at or before its current one, which happens when a term
// (an alternative of its slot) is absent from a candidate.
type positionReader struct {
	slot    int
	tfr     index.TermFieldReader
	tfd     index.TermFieldDoc
	started bool
	done    bool     // no further document has the term
	cur     uint64   // document the reader is on
	pos     []uint64 // the term's positions in cur
}

// positionsAt returns the term's positions in document n (none if it does
// not occur there). Calls must come in increasing n.
func (pr *positionReader) positionsAt(n uint64, id index.IndexInternalID) ([]uint64, error) {
	if !pr.done && (!pr.started || pr.cur < n) {
		d, err := pr.tfr.Advance(id, pr.tfd.Reset())
		if err != nil {
			return nil, fmt.Errorf("phrase query: reading positions: %w", err)
		}
		if d == nil {
			pr.done = true
			return nil, nil
		}
		pr.started, pr.cur, pr.pos = true, d.ID.Value(), pr.pos[:0]
		for _, v := range d.Vectors {
			pr.pos = append(pr.pos, v.Pos)
		}
	}
	if pr.done || pr.cur != n {
		return nil, nil
	}
	return pr.pos, nil
}

// exactPhraseSearcher passes on the documents of must (every word of the
// phrase is there) that the user may see (acl, when the search has a
// permission filter) and whose positions line up.
type exactPhraseSearcher struct {
	must    bsearch.Searcher
	acl     *aclFilterSearcher // nil: no permission filter
	readers []*positionReader
	slots   []phraseSlot
	pos     [][]uint64            // per slot, reused between documents
	id      index.IndexInternalID // buffer for skipping invisible candidates
}

func (s *exactPhraseSearcher) Next(ctx *bsearch.SearchContext) (*bsearch.DocumentMatch, error) {
	dm, err := s.must.Next(ctx)
	return s.matching(ctx, dm, err)
}

func (s *exactPhraseSearcher) Advance(ctx *bsearch.SearchContext, id index.IndexInternalID) (*bsearch.DocumentMatch, error) {
	dm, err := s.must.Advance(ctx, id)
	return s.matching(ctx, dm, err)
}

// matching returns dm if the user may see it (when the search has a
// permission filter) and the phrase occurs in it, else the next such
// candidate of must. Candidates come in increasing order. Invisible
// candidates are skipped in runs (see aclCheckSearcher), before any
// position is read.
func (s *exactPhraseSearcher) matching(ctx *bsearch.SearchContext, dm *bsearch.DocumentMatch, err error) (*bsearch.DocumentMatch, error) {
	for dm != nil && err == nil {
		n := dm.IndexInternalID.Value()
		if s.acl != nil && !s.acl.has(n) {
			ctx.DocumentMatchPool.Put(dm)
			dm, err = s.acl.skip(ctx, s.must, n, &s.id)
			continue
		}
		ok, perr := s.phraseIn(dm)
		if perr != nil {
			return nil, perr
		}
		if ok {
			return dm, nil
		}
		ctx.DocumentMatchPool.Put(dm)
		dm, err = s.must.Next(ctx)
	}
	return dm, err
}

// phraseIn reports whether the phrase occurs in dm.
func (s *exactPhraseSearcher) phraseIn(dm *bsearch.DocumentMatch) (bool, error) {
	for i := range s.pos {
		s.pos[i] = s.pos[i][:0]
	}
	n := dm.IndexInternalID.Value()
	for _, pr := range s.readers {
		pos, err := pr.positionsAt(n, dm.IndexInternalID)
		if err != nil {
			return false, err
		}
		s.pos[pr.slot] = append(s.pos[pr.slot], pos...)
	}
	for i := range s.pos {
		slices.Sort(s.pos[i])
	}
	return phraseAt(s.pos, s.slots), nil
}

// phraseAt reports whether some position p of the first slot has, for
// every slot i, p + offset_i among pos[i]. The positions are sorted, so
// one pass over each list suffices. (The fields searched by phrase hold a
// single value: array positions need not be compared.)
func phraseAt(pos [][]uint64, slots []phraseSlot) bool {
	next := make([]int, len(pos))
candidates:
	for _, p := range pos[0] {
		for i := 1; i < len(pos); i++ {
			want := p + slots[i].offset
			for next[i] < len(pos[i]) && pos[i][next[i]] < want {
				next[i]++
			}
			if next[i] == len(pos[i]) {
				return false // no later position can line up either
			}
			if pos[i][next[i]] != want {
				continue candidates
			}
		}
		return true
	}
	return false
}

func (s *exactPhraseSearcher) Close() error {
	err := s.must.Close()
	for _, pr := range s.readers {
		if cerr := pr.tfr.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
func (s *exactPhraseSearcher) Weight() float64        { return s.must.Weight() }
func (s *exactPhraseSearcher) SetQueryNorm(n float64) { s.must.SetQueryNorm(n) }
func (s *exactPhraseSearcher) Count() uint64          { return s.must.Count() } // at most
func (s *exactPhraseSearcher) Min() int               { return 0 }
func (s *exactPhraseSearcher) Size() int              { return s.must.Size() + 256*len(s.readers) }
func (s *exactPhraseSearcher) DocumentMatchPoolSize() int {
	return s.must.DocumentMatchPoolSize() + 1
}
