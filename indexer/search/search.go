package search

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
)

// ErrInvalidQuery is returned (wrapped) for a Query outside the accepted
// bounds (negative or too deep paging, unknown sort).
var ErrInvalidQuery = errors.New("invalid search query")

// Result is one page of hits with the exact total and facets over all
// matching documents the user may see.
type Result struct {
	Total  uint64
	Hits   []Hit
	Facets Facets
	Took   time.Duration

	// What the forgiving passes did (forgive.go); only when the words as
	// typed found fewer than 3 documents, and only from what the user may
	// see.
	Fuzzy      bool     // some hits match a word within a small edit distance
	Suggestion string   // the query with unknown words corrected ("did you mean"), or ""
	Unmatched  []string // words that match no document, even with a typo
	Partial    bool     // no document has every word: hits have most of them (see Hit.Missing)
}

// Hit is one matching document.
type Hit struct {
	ID, Path, Name, Mime, Author string
	Size                         int64
	Modified                     time.Time // the file's last modification (UTC)
	// Date is what the document is filed under (DocumentDate: a date in
	// its name, else its own date, else Modified); Title its own title, if
	// it has one.
	Date  time.Time
	Title string
	Tags  []string
	Score float64 // relevance; 0 when sorted by date
	// Snippets are up to 3 fragments of the text around the matches,
	// HTML-escaped, matches wrapped in <mark>; the text's beginning if the
	// document matched by name or path only; none without a TextSource.
	Snippets []string
	Missing  []string // Result.Partial: the query's words this document lacks
}

// Search runs q. See Query for the syntax and Access for the permission
// filter; Took covers the whole call, snippets included.
func (ix *Index) Search(ctx context.Context, q Query) (*Result, error) {
	start := time.Now()
	if err := normalise(&q); err != nil {
		return nil, err
	}
	ix.mu.RLock()
	sh, an := ix.sh, ix.an
	if sh == nil {
		ix.mu.RUnlock()
		return nil, ErrClosed
	}
	c := compile(an, q)
	if c.none {
		ix.mu.RUnlock()
		return &Result{Took: time.Since(start)}, nil
	}
	fq := newFacetQuery(c.q, ix.facets)
	res, err := ix.page(ctx, sh, fq, q.Offset, q.Limit, c.byDate)
	var fg forgiven
	if err == nil && !q.Exact && len(c.clauses) > 0 && res.Total < fewHits {
		res, fq, fg, err = ix.forgive(ctx, sh, an, &c, q, res, fq)
	}
	// Snippets read the extraction cache, not the index: release it so a
	// Rebuild swap is not held up by text reading.
	ix.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("searching %q: %w", q.Text, err)
	}

	out := &Result{Total: res.Total, Facets: fq.facets(), Hits: make([]Hit, 0, len(res.Hits)),
		Fuzzy: fg.fuzzy, Suggestion: fg.suggestion, Unmatched: fg.unmatched, Partial: fg.partial}
	langs := make([]string, 0, len(res.Hits))
	for _, dm := range res.Hits {
		h, lang, err := hitFrom(dm)
		if err != nil {
			return nil, err
		}
		h.Missing = fg.missing[h.ID]
		out.Hits = append(out.Hits, h)
		langs = append(langs, lang)
	}
	ix.addSnippets(ctx, an, c.marks, out.Hits, langs)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("searching %q: %w", q.Text, err)
	}
	out.Took = time.Since(start)
	return out, nil
}

// newRequest asks for a page of hits with their stored fields, by
// relevance or newest first.
func newRequest(q query.Query, from, size int, byDate bool) *bleve.SearchRequest {
	req := bleve.NewSearchRequestOptions(q, size, from, false)
	req.Fields = []string{fMeta}
	if byDate {
		// Scores would not be used: skip computing them.
		req.Score = "none"
		req.SortByCustom(bsearch.SortOrder{
			&bsearch.SortField{Field: fModified, Desc: true, Type: bsearch.SortFieldAsDate,
				Missing: bsearch.SortFieldMissingLast},
			&bsearch.SortDocID{},
		})
	}
	return req
}

func normalise(q *Query) error {
	switch q.Sort {
	case "", "relevance", "date":
	default:
		return fmt.Errorf("sort %q (want relevance or date): %w", q.Sort, ErrInvalidQuery)
	}
	if q.Offset < 0 || q.Offset > MaxOffset {
		return fmt.Errorf("offset %d outside 0..%d: %w", q.Offset, MaxOffset, ErrInvalidQuery)
	}
	if q.Limit < 0 {
		return fmt.Errorf("limit %d is negative: %w", q.Limit, ErrInvalidQuery)
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	q.Limit = min(q.Limit, MaxLimit)
	return nil
}

func hitFrom(dm *bsearch.DocumentMatch) (Hit, string, error) {
	raw, _ := dm.Fields[fMeta].(string)
	var m meta
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return Hit{}, "", fmt.Errorf("decoding stored fields of %s: %w", dm.ID, err)
	}
	return Hit{
		ID: dm.ID, Path: m.Path, Name: m.Name, Mime: m.Mime, Author: m.Author,
		Size: m.Size, Modified: m.Modified, Tags: m.Tags, Score: dm.Score,
		Date: cmp.Or(m.Date, m.Modified), Title: m.Title,
	}, m.Lang, nil
}
