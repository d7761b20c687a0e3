package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// The forgiving passes run only when the exact query (every word, exact
// or stemmed) finds fewer than fewHits visible documents, so the common
// query costs nothing more and its results never change. Every decision
// they take is based on counts of documents the user may see (searches
// restricted by the permission filter), never on the index's global term
// statistics: "this word exists somewhere" must not be observable through
// the presence or absence of a correction.
//
//  1. Typo tolerance: each word with fewer than fewHits visible matches
//     and long enough (see fuzziness) also matches the index's terms
//     within its edit distance, found by a spelling pass over the term
//     dictionaries of the folded content and the name. Documents found
//     only that way come after every exact or stemmed match.
//  2. Did you mean: a word with no visible match is replaced by its
//     closest candidate that has visible matches (most visible documents
//     on equal distance).
//  3. Partial matches: when no document has every word even with typo
//     tolerance, documents holding most of them, each hit listing the
//     words it lacks.
const (
	fewHits = 3
	// Fuzzy terms score far below the word itself; exact matches are put
	// first anyway (forgive), this orders the fuzzy ones among themselves.
	boostFuzzy = 0.2
)

// maxFuzzyTerms is the number of candidate terms per word: enough for the
// likely corrections, few enough that a long word's distance-2
// neighbourhood stays cheap. A variable for BenchmarkSearchTypos.
var maxFuzzyTerms = 16

// fuzzyWithQuery switches typo matching to bleve's FuzzyQuery (one per
// word and field) instead of our dictionary pass: the alternative
// measured in docs/search.md, kept for BenchmarkSearchTypos.
var fuzzyWithQuery = false

// fuzziness is the edit distance a folded term may be matched within:
// none for short words, numbers and codes (anything but letters), 1 for
// 5 to 8 letters, 2 above.
func fuzziness(term string) int {
	n := 0
	for _, r := range term {
		if !unicode.IsLetter(r) {
			return 0
		}
		n++
	}
	switch {
	case n < 5:
		return 0
	case n <= 8:
		return 1
	}
	return 2
}

func abs(x int) int { return max(x, -x) }

// osaDistance is the optimal string alignment distance between a and b:
// Levenshtein plus the swap of two adjacent letters as one edit, the most
// common typing slip ("configuraiton").
func osaDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	prev2 := make([]int, len(y)+1)
	prev := make([]int, len(y)+1)
	cur := make([]int, len(y)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(x); i++ {
		cur[0] = i
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(y)]
}

// candidate is a term of the index near a query word.
type candidate struct {
	field, term string
	dist        int
}

// candidates returns the terms of the folded content and name fields
// within maxDist (OSA) of term, closest and most frequent first. bleve's
// automaton counts a swap as two edits, so it is asked for distance 2 and
// the result filtered.
func (s shards) candidates(term string, maxDist int) ([]candidate, error) {
	agg := map[[2]string]*candidate{}
	for _, bi := range s {
		idx, err := bi.Advanced()
		if err != nil {
			return nil, fmt.Errorf("opening index for spelling: %w", err)
		}
		r, err := idx.Reader()
		if err != nil {
			return nil, fmt.Errorf("opening index reader for spelling: %w", err)
		}
		fr, ok := r.(index.IndexReaderFuzzy)
		if !ok {
			r.Close()
			return nil, fmt.Errorf("index reader %T has no fuzzy term dictionary", r)
		}
		for _, field := range []string{fContent, fName} {
			d, err := fr.FieldDictFuzzy(field, term, 2, "")
			if err != nil {
				r.Close()
				return nil, fmt.Errorf("reading %s terms near %q: %w", field, term, err)
			}
			for {
				e, err := d.Next()
				if err != nil {
					d.Close()
					r.Close()
					return nil, fmt.Errorf("reading %s terms near %q: %w", field, term, err)
				}
				if e == nil {
					break
				}
				if e.Term == term {
					continue
				}
				dist := osaDistance(term, e.Term)
				if dist > maxDist {
					continue
				}
				k := [2]string{field, e.Term}
				if agg[k] == nil {
					agg[k] = &candidate{field: field, term: e.Term, dist: dist}
				}
			}
			d.Close()
		}
		r.Close()
	}
	out := make([]candidate, 0, len(agg))
	for _, c := range agg {
		out = append(out, *c)
	}
	// Closest first; on equal distance the likelier slips: the first
	// letter kept, the same length. (Document frequencies would be a
	// better guide, but scorch's fuzzy dictionary reports none and the
	// global ones would let unreadable documents steer the choice.)
	first, _ := utf8.DecodeRuneInString(term)
	n := utf8.RuneCountInString(term)
	likely := func(c candidate) int {
		r, _ := utf8.DecodeRuneInString(c.term)
		score := abs(utf8.RuneCountInString(c.term) - n)
		if r != first {
			score += 2
		}
		return score
	}
	slices.SortFunc(out, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(a.dist, b.dist), cmp.Compare(likely(a), likely(b)),
			strings.Compare(a.term, b.term), strings.Compare(a.field, b.field))
	})
	return out[:min(len(out), maxFuzzyTerms)], nil
}

// forgiven is what the forgiving passes add to a result.
type forgiven struct {
	fuzzy      bool                // typo tolerance added matches
	suggestion string              // corrected query text, "" for none
	unmatched  []string            // words matching no visible document, even with typos
	partial    bool                // hits hold only some of the words
	missing    map[string][]string // partial: hit ID → words it lacks
}

// visible counts the visible documents matching q.
func (ix *Index) visible(ctx context.Context, sh shards, c *compiled, q query.Query) (uint64, error) {
	return ix.visibleUpTo(ctx, sh, c, q, 0)
}

// visibleUpTo counts the visible documents matching q, stopping at limit
// (0: no limit). The passes only need to know whether a word has fewer
// than fewHits visible matches: a common word's count then costs a few
// matches instead of a pass over its whole posting lists.
func (ix *Index) visibleUpTo(ctx context.Context, sh shards, c *compiled, q query.Query, limit uint64) (uint64, error) {
	rq := c.restrict(q)
	if limit > 0 {
		rq = &limitQuery{inner: rq, limit: limit}
	}
	req := bleve.NewSearchRequestOptions(rq, 0, 0, false)
	req.Score = "none"
	res, err := sh.search(ctx, req)
	if err != nil {
		return 0, err
	}
	if limit > 0 {
		return min(res.Total, limit), nil
	}
	return res.Total, nil
}

// limitQuery ends inner's matches after limit of them, per shard.
type limitQuery struct {
	inner query.Query
	limit uint64
}

func (q *limitQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, opts bsearch.SearcherOptions) (bsearch.Searcher, error) {
	s, err := q.inner.Searcher(ctx, r, m, opts)
	if err != nil {
		return nil, err
	}
	return &limitSearcher{Searcher: s, left: q.limit}, nil
}

// limitSearcher is the top searcher of a count: the collector only calls
// Next on it.
type limitSearcher struct {
	bsearch.Searcher
	left uint64
}

func (s *limitSearcher) take(dm *bsearch.DocumentMatch, err error) (*bsearch.DocumentMatch, error) {
	if dm != nil && err == nil {
		s.left--
	}
	return dm, err
}

func (s *limitSearcher) Next(ctx *bsearch.SearchContext) (*bsearch.DocumentMatch, error) {
	if s.left == 0 {
		return nil, nil
	}
	return s.take(s.Searcher.Next(ctx))
}

func (s *limitSearcher) Advance(ctx *bsearch.SearchContext, id index.IndexInternalID) (*bsearch.DocumentMatch, error) {
	if s.left == 0 {
		return nil, nil
	}
	return s.take(s.Searcher.Advance(ctx, id))
}

// forgive runs the forgiving passes after the exact search gave fewer
// than fewHits hits (exact, with its facet query efq).
func (ix *Index) forgive(ctx context.Context, sh shards, an *analyzers, c *compiled, q Query,
	exact *bleve.SearchResult, efq *facetQuery) (*bleve.SearchResult, *facetQuery, forgiven, error) {
	var fg forgiven
	n := len(c.clauses)
	counts := make([]uint64, n)
	expanded := make([]query.Query, n)
	cands := make([][]candidate, n)
	for i, cl := range c.clauses {
		var err error
		if n == 1 && len(c.filters) == 0 && len(c.mustNot) == 0 {
			// The clause alone is the query that was just run (the name
			// bonus adds no document): its total is the clause's count.
			counts[i] = exact.Total
		} else if counts[i], err = ix.visibleUpTo(ctx, sh, c, cl.q, fewHits); err != nil {
			return nil, nil, fg, err
		}
		expanded[i] = cl.q
		if counts[i] >= fewHits || len(cl.fold) != 1 {
			continue
		}
		d := fuzziness(cl.fold[0])
		if d == 0 {
			continue
		}
		if fuzzyWithQuery {
			alts := []query.Query{cl.q}
			for _, f := range []string{fContent, fName} {
				fq := query.NewFuzzyQuery(cl.fold[0])
				fq.SetField(f)
				fq.SetFuzziness(d)
				fq.SetBoost(boostFuzzy)
				alts = append(alts, fq)
			}
			expanded[i] = query.NewDisjunctionQuery(alts)
			fg.fuzzy = true
			if counts[i] > 0 {
				continue
			}
		}
		if cands[i], err = sh.candidates(cl.fold[0], d); err != nil {
			return nil, nil, fg, err
		}
		if len(cands[i]) == 0 || fuzzyWithQuery {
			continue
		}
		alts := []query.Query{cl.q}
		for _, cd := range cands[i] {
			tq := query.NewTermQuery(cd.term)
			tq.SetField(cd.field)
			tq.SetBoost(boostFuzzy)
			alts = append(alts, tq)
			c.marks.addWord(an, cd.term)
		}
		expanded[i] = query.NewDisjunctionQuery(alts)
		fg.fuzzy = true
	}

	res, fq := exact, efq
	if fg.fuzzy {
		var err error
		if res, fq, err = ix.widen(ctx, sh, c, q, exact, c.assemble(andQuery(expanded))); err != nil {
			return nil, nil, fg, err
		}
		// Candidates come from the whole dictionary: say "fuzzy" only
		// when they found visible documents, or the flag would tell that
		// an unreadable document holds a neighbour of the word.
		fg.fuzzy = res.Total > exact.Total
	}

	// Did you mean, and the words that match nothing at all.
	words := make([]string, 0, n)
	replaced := false
	for i, cl := range c.clauses {
		words = append(words, cl.raw)
		if counts[i] > 0 {
			continue
		}
		best, bestN := "", uint64(0)
		bestDist := 0
		// Every candidate is checked (the list is capped by an order that
		// ignores visibility: checking only the first few would let
		// unreadable terms crowd out readable ones).
		for _, cd := range cands[i] {
			if best != "" && cd.dist > bestDist {
				break
			}
			tq := query.NewTermQuery(cd.term)
			tq.SetField(cd.field)
			v, err := ix.visible(ctx, sh, c, tq)
			if err != nil {
				return nil, nil, fg, err
			}
			if v > bestN {
				best, bestN, bestDist = cd.term, v, cd.dist
			}
		}
		if best != "" {
			words[i], replaced = best, true
		} else {
			fg.unmatched = append(fg.unmatched, cl.raw)
		}
	}
	if replaced {
		fg.suggestion = replaceWords(q.Text, c.clauses, words)
	}

	if res.Total > 0 || n < 2 || len(fg.unmatched) == n {
		return res, fq, fg, nil
	}
	// Partial matches: as many words as possible, then fewer.
	for k := n - len(fg.unmatched); k >= 1; k-- {
		if k == n {
			continue
		}
		dq := query.NewDisjunctionQuery(expanded)
		dq.SetMin(float64(k))
		pfq := newFacetQuery(c.assemble(dq), ix.facets)
		pres, err := ix.page(ctx, sh, pfq, q.Offset, q.Limit, c.byDate)
		if err != nil {
			return nil, nil, fg, err
		}
		if pres.Total == 0 {
			continue
		}
		fg.partial = true
		fg.missing = map[string][]string{}
		ids := make([]string, 0, len(pres.Hits))
		for _, h := range pres.Hits {
			ids = append(ids, h.ID)
		}
		for i, cl := range c.clauses {
			req := bleve.NewSearchRequestOptions(c.restrict(query.NewConjunctionQuery([]query.Query{expanded[i], query.NewDocIDQuery(ids)})), len(ids), 0, false)
			req.Score = "none"
			mres, err := sh.search(ctx, req)
			if err != nil {
				return nil, nil, fg, err
			}
			has := map[string]bool{}
			for _, h := range mres.Hits {
				has[h.ID] = true
			}
			for _, id := range ids {
				if !has[id] {
					fg.missing[id] = append(fg.missing[id], cl.raw)
				}
			}
		}
		return pres, pfq, fg, nil
	}
	return res, fq, fg, nil
}

// widen runs the query with typo tolerance (wide) and puts the exact
// hits first: a document matching every word as typed (or stemmed) is
// never outranked by one matching a neighbour of a word.
func (ix *Index) widen(ctx context.Context, sh shards, c *compiled, q Query, exact *bleve.SearchResult, wide query.Query) (*bleve.SearchResult, *facetQuery, error) {
	first := exact
	if q.Offset > 0 && exact.Total > 0 {
		// The exact hits were on an earlier page: fetch them.
		var err error
		if first, err = ix.page(ctx, sh, c.q, 0, fewHits, c.byDate); err != nil {
			return nil, nil, err
		}
	}
	fq := newFacetQuery(wide, ix.facets)
	res, err := ix.page(ctx, sh, fq, 0, q.Offset+q.Limit+len(first.Hits), c.byDate)
	if err != nil {
		return nil, nil, err
	}
	if c.byDate {
		// Date order is the user's choice: no exact-first reordering.
		res.Hits = res.Hits[min(q.Offset, len(res.Hits)):min(q.Offset+q.Limit, len(res.Hits))]
		return res, fq, nil
	}
	seen := map[string]bool{}
	hits := slices.Clone(first.Hits)
	for _, h := range first.Hits {
		seen[h.ID] = true
	}
	for _, h := range res.Hits {
		if !seen[h.ID] {
			hits = append(hits, h)
		}
	}
	res.Hits = hits[min(q.Offset, len(hits)):min(q.Offset+q.Limit, len(hits))]
	return res, fq, nil
}

// replaceWords rewrites text with the clauses' words replaced by words
// (same order), leaving everything else (filters, phrases) as typed.
func replaceWords(text string, clauses []textClause, words []string) string {
	fields := strings.Fields(text)
	for i, cl := range clauses {
		if words[i] == cl.raw {
			continue
		}
		for j, f := range fields {
			if strings.Trim(f, `"«»“”`) == cl.raw {
				fields[j] = words[i]
				break
			}
		}
	}
	return strings.Join(fields, " ")
}
