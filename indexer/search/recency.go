package search

import (
	"cmp"
	"context"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
)

// At equal relevance the recent document comes first: hits are ordered
// by score, then by DocumentDate, newest first. Scores count as equal
// within relevanceBucket of each other (float noise; a shard's statistics
// differ a little from another's), so this year's statutes come before
// the 2019 ones that say the same, and clearly different matches keep
// their order.
const (
	relevanceBucket = 0.001
	// recencyExtra is how many hits past the page are fetched first, and
	// recencyWindow the most: the hits tied with the page's last one must
	// all be fetched to know which are the most recent.
	recencyExtra  = 10
	recencyWindow = 1000
)

// bucket is the class of equal relevance of a score.
func bucket(score float64) int {
	if score <= 0 {
		return math.MinInt
	}
	return int(math.Floor(math.Log(score) / math.Log1p(relevanceBucket)))
}

// page runs the query for one page of hits: newest first when byDate,
// otherwise by relevance, ties newest first.
func (ix *Index) page(ctx context.Context, sh shards, q query.Query, from, size int, byDate bool) (*bleve.SearchResult, error) {
	if byDate {
		return sh.search(ctx, newRequest(q, from, size, true))
	}
	n, k := from+size+recencyExtra, from+size
	for {
		res, err := sh.search(ctx, newRequest(q, 0, n, false))
		if err != nil {
			return nil, err
		}
		hits := res.Hits
		// Fetched enough when the hits tied with the page's last one are
		// all in (the last fetched is in a lower class), or there are no
		// more.
		if len(hits) <= k || uint64(len(hits)) >= res.Total || n >= recencyWindow ||
			bucket(hits[len(hits)-1].Score) != bucket(hits[k-1].Score) {
			rankTiesByDate(hits)
			res.Hits = hits[min(from, len(hits)):min(k, len(hits))]
			return res, nil
		}
		n = min(4*n, recencyWindow)
		// The first run visited every match: facets are counted. Counting
		// again would double them, and costs a pass over every match.
		if fq, ok := q.(*facetQuery); ok {
			q = fq.inner
		}
	}
}

// rankTiesByDate orders hits (with their stored meta) by relevance class,
// then date, newest first, then ID as shards.search does.
func rankTiesByDate(hits []*bsearch.DocumentMatch) {
	dates := make(map[*bsearch.DocumentMatch]time.Time, len(hits))
	for _, h := range hits {
		raw, _ := h.Fields[fMeta].(string)
		var m struct {
			Modified time.Time `json:"d"`
			Date     time.Time `json:"w"`
		}
		if json.Unmarshal([]byte(raw), &m) == nil {
			dates[h] = cmp.Or(m.Date, m.Modified)
		}
	}
	slices.SortStableFunc(hits, func(a, b *bsearch.DocumentMatch) int {
		return cmp.Or(cmp.Compare(bucket(b.Score), bucket(a.Score)), dates[b].Compare(dates[a]), strings.Compare(a.ID, b.ID))
	})
}
