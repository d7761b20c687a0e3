package search

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
)

// A generation is split into shards, each a bleve index holding the
// documents whose ID hashes to it. A search runs on every shard at once
// (one goroutine each, so a query uses both cores of a small server) and
// the results are merged; a batch of writes is split by shard and the
// shards are written concurrently.
//
// Scores are tf-idf within each shard: a term's document frequency is
// counted in the shard, not in the whole index. With IDs spread by hash
// the difference is negligible on a real repository (and nil for the
// order of date-sorted results, totals and facets, which are exact).

// DefaultShards is the number of shards of a new generation.
const DefaultShards = 2

// WithShards sets the number of shards (at least 1) of the generations
// this Index creates. An existing index with another number of shards
// keeps working and reports NeedsRebuild.
func WithShards(n int) Option {
	return func(o *options) { o.shards = max(1, n) }
}

var shardName = regexp.MustCompile(`^shard-([0-9]+)$`)

func shardDir(gen string, i int) string {
	return filepath.Join(gen, "shard-"+strconv.Itoa(i))
}

// shards are the open bleve indexes of one generation, in shard order.
type shards []bleve.Index

// of returns the shard of a document ID.
func (s shards) of(id string) int {
	if len(s) == 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(len(s)))
}

func (s shards) close() error {
	var errs []error
	for _, bi := range s {
		errs = append(errs, bi.Close())
	}
	return errors.Join(errs...)
}

func (s shards) docCount() (uint64, error) {
	var n uint64
	for _, bi := range s {
		c, err := bi.DocCount()
		if err != nil {
			return 0, err
		}
		n += c
	}
	return n, nil
}

// version returns the mapping version stamped in the shards, or "" if
// they disagree or one is unreadable.
func (s shards) version() string {
	var v string
	for i, bi := range s {
		b, err := bi.GetInternal([]byte(versionKey))
		if err != nil || (i > 0 && string(b) != v) {
			return ""
		}
		v = string(b)
	}
	return v
}

// openShards opens the shards of the generation directory dir. A
// directory holding a bleve index itself (index_meta.json) is a
// generation written before shards existed: one shard.
func openShards(dir string, config map[string]interface{}) (shards, error) {
	if _, err := os.Stat(filepath.Join(dir, "index_meta.json")); err == nil {
		bi, err := bleve.OpenUsing(dir, config)
		if err != nil {
			return nil, fmt.Errorf("opening search index %s: %w", dir, err)
		}
		return shards{bi}, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("opening search index %s: %w", dir, err)
	}
	n := 0
	for _, e := range entries {
		if e.IsDir() && shardName.MatchString(e.Name()) {
			n++
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("opening search index %s: no shard", dir)
	}
	s := make(shards, 0, n)
	for i := range n {
		bi, err := bleve.OpenUsing(shardDir(dir, i), config)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("opening search index shard %s: %w", shardDir(dir, i), err)
		}
		s = append(s, bi)
	}
	return s, nil
}

// createShards creates n empty shards in the new generation directory
// dir, each stamped with the mapping version, and closes them.
func createShards(dir string, n int) error {
	for i := range n {
		bi, err := newGeneration(shardDir(dir, i))
		if err != nil {
			return err
		}
		if err := bi.Close(); err != nil {
			return fmt.Errorf("closing new search index shard: %w", err)
		}
	}
	return nil
}

// search runs req on every shard concurrently and merges the results as
// one index would give them: the page is cut from the merged order,
// totals and facet counts are summed. Equal sort keys (scores, dates) are
// ordered by document ID, so results do not depend on which shard
// answers first.
func (s shards) search(ctx context.Context, req *bleve.SearchRequest) (*bleve.SearchResult, error) {
	if len(s) == 1 {
		return s[0].SearchInContext(ctx, req)
	}
	results := make([]*bleve.SearchResult, len(s))
	errs := make([]error, len(s))
	var wg sync.WaitGroup
	for i, bi := range s {
		sub := *req
		sub.From, sub.Size = 0, req.From+req.Size
		sub.Sort = req.Sort.Copy() // sort fields keep per-search state
		wg.Go(func() { results[i], errs[i] = bi.SearchInContext(ctx, &sub) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	res := results[0]
	for _, r := range results[1:] {
		res.Merge(r)
	}
	for name, fr := range req.Facets {
		res.Facets.Fixup(name, fr.Size)
	}
	isScore, desc := req.Sort.CacheIsScore(), req.Sort.CacheDescending()
	slices.SortFunc(res.Hits, func(a, b *bsearch.DocumentMatch) int {
		if c := compareSortKeys(isScore, desc, a, b); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	from := min(req.From, len(res.Hits))
	res.Hits = res.Hits[from:min(from+req.Size, len(res.Hits))]
	return res, nil
}

// compareSortKeys compares two hits by the request's sort keys, as
// bleve's SortOrder.Compare does, but leaves ties at 0: bleve breaks them
// by hit number, which is only meaningful within one shard.
func compareSortKeys(isScore, desc []bool, a, b *bsearch.DocumentMatch) int {
	for x := range isScore {
		var c int
		if isScore[x] {
			c = cmp.Compare(a.Score, b.Score)
		} else {
			c = strings.Compare(a.Sort[x], b.Sort[x])
		}
		if c != 0 {
			if desc[x] {
				return -c
			}
			return c
		}
	}
	return 0
}
