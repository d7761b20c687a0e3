package search

import (
	"context"
	"fmt"
	mbits "math/bits"
	"slices"
	"strings"
	"sync"
	"weak"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"
)

// aclFilterQuery restricts inner to the documents carrying any of the
// given acl terms: the permission filter (a document is visible when its
// own id or an ancestor's is granted). It adds nothing to scores.
//
// It replaces a Disjunction of term queries, one per root, in a
// Conjunction with the user's query: that disjunction advanced every
// root's posting list for every candidate document (nine seeks per
// candidate for a member with nine roots; a fifth of search CPU). Here
// each root's postings are read once, into a bitset of internal document
// numbers (one pass over the visible documents, not over the candidates).
// Then, when the visible documents are a sizeable share of the index (the
// usual case), inner's matches are simply checked against the bitset;
// leapfrogging would advance every field of the user's query to each
// visible document. When they are few, a conjunction with the bitset lets
// inner skip to them.
type aclFilterQuery struct {
	inner query.Query // nil: every visible document
	roots []string
	cuts  map[string][]string // root → restricted folders below it that it does not reach
}

// aclContextKey carries the visible set (*aclFilterSearcher) to the
// searchers of the query it restricts.
type aclContextKey struct{}

// aclDenseShare: at or above this share of the index's document numbers,
// the visible documents are checked rather than leapfrogged to. A
// variable so that tests can force either path.
var aclDenseShare = 0.1

func newACLFilterQuery(inner query.Query, roots []string, cuts map[string][]string) *aclFilterQuery {
	return &aclFilterQuery{inner: inner, roots: roots, cuts: cuts}
}

func (q *aclFilterQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, opts bsearch.SearcherOptions) (bsearch.Searcher, error) {
	acl, err := visibleSet(ctx, r, q.roots, q.cuts)
	if err != nil {
		return nil, err
	}
	if q.inner == nil {
		return acl, nil
	}
	// Phrase searchers check visibility before reading positions.
	inner, err := q.inner.Searcher(context.WithValue(ctx, aclContextKey{}, acl), r, m, opts)
	if err != nil {
		return nil, err
	}
	if float64(acl.count) >= aclDenseShare*float64(64*len(acl.words)) {
		return &aclCheckSearcher{Searcher: inner, acl: acl}, nil
	}
	s, err := searcher.NewConjunctionSearcher(ctx, r, []bsearch.Searcher{inner, acl}, opts)
	if err != nil {
		inner.Close()
		return nil, err
	}
	return s, nil
}

// aclBitsets caches the visible sets of recent searches by index snapshot
// and granted roots: a user's searches in a row (typing, paging, facet
// clicks) and the members of one group share a set until the index
// changes. Reading the roots' postings was a tenth of search CPU at
// 100 000 documents. A snapshot is referenced weakly: the cache neither
// keeps an old one alive nor mistakes a new one allocated at its address
// for it.
var aclBitsets = struct {
	sync.Mutex
	entries map[aclKey]*aclFilterSearcher
	order   []aclKey
}{entries: map[aclKey]*aclFilterSearcher{}}

const aclCacheSize = 64

type aclKey struct {
	snap  weak.Pointer[scorch.IndexSnapshot]
	roots string
}

// visibleSet returns a searcher over the documents of r visible through
// roots, from the cache when r is a scorch snapshot seen before.
func visibleSet(ctx context.Context, r index.IndexReader, roots []string, cuts map[string][]string) (*aclFilterSearcher, error) {
	is, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return newACLBitset(ctx, r, roots, cuts)
	}
	sorted := slices.Clone(roots)
	slices.Sort(sorted)
	// A root's cuts follow it in the key: "root\x01cut\x01cut".
	for i, root := range sorted {
		if cs := cuts[root]; len(cs) > 0 {
			cs = slices.Sorted(slices.Values(cs))
			sorted[i] = root + "\x01" + strings.Join(cs, "\x01")
		}
	}
	key := aclKey{weak.Make(is), strings.Join(sorted, "\x00")}
	aclBitsets.Lock()
	s := aclBitsets.entries[key]
	aclBitsets.Unlock()
	if s == nil {
		var err error
		if s, err = newACLBitset(ctx, r, roots, cuts); err != nil {
			return nil, err
		}
		aclBitsets.Lock()
		if _, dup := aclBitsets.entries[key]; !dup { // a concurrent search may have added it
			if len(aclBitsets.order) >= aclCacheSize {
				delete(aclBitsets.entries, aclBitsets.order[0])
				aclBitsets.order = aclBitsets.order[1:]
			}
			aclBitsets.entries[key] = s
			aclBitsets.order = append(aclBitsets.order, key)
		}
		aclBitsets.Unlock()
	}
	// The words are shared read-only; the walking position is per search.
	return &aclFilterSearcher{words: s.words, count: s.count}, nil
}

// newACLBitset reads the postings of roots in the acl field. A root with
// cuts (restricted folders below it) adds its documents minus theirs.
func newACLBitset(ctx context.Context, r index.IndexReader, roots []string, cuts map[string][]string) (*aclFilterSearcher, error) {
	s := &aclFilterSearcher{}
	for _, root := range roots {
		if len(cuts[root]) == 0 {
			if err := postings(ctx, r, root, s.set); err != nil {
				return nil, err
			}
			continue
		}
		part := &aclFilterSearcher{}
		if err := postings(ctx, r, root, part.set); err != nil {
			return nil, err
		}
		for _, cut := range cuts[root] {
			if err := postings(ctx, r, cut, part.clear); err != nil {
				return nil, err
			}
		}
		for w, bits := range part.words {
			for bits != 0 {
				s.set(uint64(w)*64 + uint64(mbits.TrailingZeros64(bits)))
				bits &= bits - 1
			}
		}
	}
	for _, w := range s.words {
		s.count += uint64(mbits.OnesCount64(w))
	}
	return s, nil
}

// postings calls fn with the internal number of each document carrying
// term in the acl field.
func postings(ctx context.Context, r index.IndexReader, term string, fn func(uint64)) error {
	tfr, err := r.TermFieldReader(ctx, []byte(term), fACL, false, false, false)
	if err != nil {
		return fmt.Errorf("permission filter: reading %q: %w", term, err)
	}
	defer tfr.Close()
	var tfd index.TermFieldDoc
	for {
		d, err := tfr.Next(tfd.Reset())
		if err != nil {
			return fmt.Errorf("permission filter: reading %q: %w", term, err)
		}
		if d == nil {
			break
		}
		fn(d.ID.Value())
	}
	return nil
}

// aclCheckSearcher passes on the matches of the embedded searcher that are
// in acl. Weight, query norm and counts are the embedded searcher's. After
// a match the user may not see, the embedded searcher skips to the next
// visible document: permissions are given per folder and a folder's files
// tend to have neighbouring document numbers, so invisible documents come
// in runs that the postings skip over instead of scoring each.
type aclCheckSearcher struct {
	bsearch.Searcher
	acl *aclFilterSearcher
	id  index.IndexInternalID // buffer for Advance targets
}

func (s *aclCheckSearcher) Next(ctx *bsearch.SearchContext) (*bsearch.DocumentMatch, error) {
	dm, err := s.Searcher.Next(ctx)
	return s.visible(ctx, dm, err)
}

func (s *aclCheckSearcher) Advance(ctx *bsearch.SearchContext, id index.IndexInternalID) (*bsearch.DocumentMatch, error) {
	dm, err := s.Searcher.Advance(ctx, id)
	return s.visible(ctx, dm, err)
}

// visible returns dm if the user may see it, else the next match that
// the user may see.
func (s *aclCheckSearcher) visible(ctx *bsearch.SearchContext, dm *bsearch.DocumentMatch, err error) (*bsearch.DocumentMatch, error) {
	for dm != nil && err == nil {
		n := dm.IndexInternalID.Value()
		if s.acl.has(n) {
			return dm, nil
		}
		ctx.DocumentMatchPool.Put(dm)
		dm, err = s.acl.skip(ctx, s.Searcher, n, &s.id)
	}
	return dm, err
}

// skip moves inner, whose match n the user may not see, to its next
// match at or after the next visible document (nil: no visible document
// remains). buf is the caller's buffer for the target's id.
func (s *aclFilterSearcher) skip(ctx *bsearch.SearchContext, inner bsearch.Searcher, n uint64, buf *index.IndexInternalID) (*bsearch.DocumentMatch, error) {
	next, ok := s.from(n + 1)
	switch {
	case !ok:
		return nil, nil
	case next == n+1:
		return inner.Next(ctx)
	}
	*buf = index.NewIndexInternalID((*buf)[:0], next)
	return inner.Advance(ctx, *buf)
}

func (s *aclCheckSearcher) Size() int { return s.Searcher.Size() + s.acl.Size() }

// aclFilterSearcher walks the set bits of a bitset of internal document
// numbers, in increasing order as bleve searchers must.
type aclFilterSearcher struct {
	words []uint64
	count uint64
	next  uint64 // first document number not yet returned
}

func (s *aclFilterSearcher) has(n uint64) bool {
	w := int(n / 64)
	return w < len(s.words) && s.words[w]&(1<<(n%64)) != 0
}

func (s *aclFilterSearcher) clear(n uint64) {
	if w := int(n / 64); w < len(s.words) {
		s.words[w] &^= 1 << (n % 64)
	}
}

func (s *aclFilterSearcher) set(n uint64) {
	w := int(n / 64)
	if w >= len(s.words) {
		s.words = slices.Grow(s.words, w+1-len(s.words))[:w+1]
	}
	s.words[w] |= 1 << (n % 64)
}

// from returns the first set document number >= n.
func (s *aclFilterSearcher) from(n uint64) (uint64, bool) {
	w := int(n / 64)
	if w >= len(s.words) {
		return 0, false
	}
	if rest := s.words[w] >> (n % 64); rest != 0 {
		return n + uint64(mbits.TrailingZeros64(rest)), true
	}
	for w++; w < len(s.words); w++ {
		if s.words[w] != 0 {
			return uint64(w)*64 + uint64(mbits.TrailingZeros64(s.words[w])), true
		}
	}
	return 0, false
}

func (s *aclFilterSearcher) match(ctx *bsearch.SearchContext, n uint64, ok bool) *bsearch.DocumentMatch {
	if !ok {
		s.next = uint64(len(s.words)) * 64
		return nil
	}
	s.next = n + 1
	dm := ctx.DocumentMatchPool.Get()
	dm.IndexInternalID = index.NewIndexInternalID(dm.IndexInternalID[:0], n)
	dm.Score = 0
	return dm
}

func (s *aclFilterSearcher) Next(ctx *bsearch.SearchContext) (*bsearch.DocumentMatch, error) {
	n, ok := s.from(s.next)
	return s.match(ctx, n, ok), nil
}

func (s *aclFilterSearcher) Advance(ctx *bsearch.SearchContext, id index.IndexInternalID) (*bsearch.DocumentMatch, error) {
	n, ok := s.from(id.Value())
	return s.match(ctx, n, ok), nil
}

func (s *aclFilterSearcher) Close() error               { return nil }
func (s *aclFilterSearcher) Weight() float64            { return 0 } // adds nothing to the query norm
func (s *aclFilterSearcher) SetQueryNorm(float64)       {}
func (s *aclFilterSearcher) Count() uint64              { return s.count }
func (s *aclFilterSearcher) Min() int                   { return 0 }
func (s *aclFilterSearcher) Size() int                  { return 64 + 8*cap(s.words) }
func (s *aclFilterSearcher) DocumentMatchPoolSize() int { return 1 }
