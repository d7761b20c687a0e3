package search

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
)

// shardsHolding returns the shards of ix that hold a document id.
func shardsHolding(t *testing.T, ix *Index, id string) []int {
	t.Helper()
	var out []int
	for i, bi := range ix.sh {
		d, err := bi.Document(id)
		if err != nil {
			t.Fatal(err)
		}
		if d != nil {
			out = append(out, i)
		}
	}
	return out
}

// shardedCorpus is a corpus with distinct dates (so that date order is
// total) spread over folders, in several batches.
func shardedCorpus(n int) []Document {
	docs := manyDocs(n)
	for i := range docs {
		docs[i].Modified = day("2020-01-01").Add(time.Duration(i) * time.Hour)
	}
	return docs
}

// A document lives in exactly one shard, whatever happened to it: added,
// updated, moved to another folder (same ID, new path), deleted.
func TestShardsHoldEachDocumentOnce(t *testing.T) {
	defer func(n int) { batchDocs = n }(batchDocs)
	batchDocs = 20
	ctx := context.Background()
	ix, err := Open(t.TempDir(), testLogger(t), WithShards(3))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	docs := shardedCorpus(120)
	if err := ix.Apply(ctx, docs, nil); err != nil {
		t.Fatal(err)
	}
	moved := slices.Clone(docs[:50])
	for i := range moved {
		moved[i].Ancestors = []string{"root", "fmoved"}
		moved[i].Path = "/fmoved/" + moved[i].Name
		moved[i].Content += " déplacé"
	}
	deleted := []string{docs[3].ID, docs[60].ID, docs[61].ID, "never-indexed"}
	if err := ix.Apply(ctx, moved, deleted); err != nil {
		t.Fatal(err)
	}
	used := map[int]bool{}
	for _, d := range docs {
		got := shardsHolding(t, ix, d.ID)
		switch {
		case slices.Contains(deleted, d.ID):
			if len(got) != 0 {
				t.Errorf("deleted %s is in shards %v", d.ID, got)
			}
		case len(got) != 1:
			t.Errorf("%s is in shards %v, want exactly one", d.ID, got)
		default:
			used[got[0]] = true
			if got[0] != ix.sh.of(d.ID) {
				t.Errorf("%s is in shard %d, its hash says %d", d.ID, got[0], ix.sh.of(d.ID))
			}
		}
	}
	if len(used) != 3 {
		t.Errorf("documents in shards %v, want all 3 used", used)
	}
	if n, _ := ix.Count(); n != uint64(len(docs)-3) {
		t.Errorf("Count = %d, want %d", n, len(docs)-3)
	}
	res := search(t, ix, Query{Text: "déplacé", Access: all, Limit: MaxLimit})
	if res.Total != uint64(len(moved)-1) { // docs[3] was deleted
		t.Errorf("moved documents found: %d, want %d", res.Total, len(moved)-1)
	}
	res = search(t, ix, Query{Text: "folder:fmoved", Access: all, Limit: MaxLimit})
	if res.Total != uint64(len(moved)-1) {
		t.Errorf("documents in fmoved: %d, want %d", res.Total, len(moved)-1)
	}
}

// Sharding changes nothing in what a search returns, except per-shard
// tf-idf in scores: totals, facets, date order and paging are those of one
// index, and relevance finds the same documents.
func TestShardedResultsMatchUnsharded(t *testing.T) {
	defer func(n int) { batchDocs = n }(batchDocs)
	batchDocs = 25
	ctx := context.Background()
	docs := shardedCorpus(230)
	open := func(n int) *Index {
		ix, err := Open(t.TempDir(), testLogger(t), WithShards(n))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ix.Close() })
		if err := ix.Apply(ctx, docs, nil); err != nil {
			t.Fatal(err)
		}
		return ix
	}
	one, four := open(1), open(4)
	if len(one.sh) != 1 || len(four.sh) != 4 {
		t.Fatalf("shards: %d and %d", len(one.sh), len(four.sh))
	}
	ids := func(res *Result) []string {
		var out []string
		for _, h := range res.Hits {
			out = append(out, h.ID)
		}
		return out
	}
	for _, a := range []Access{all, {Roots: []string{"f2", "f5", "m00007"}}} {
		for _, text := range []string{"", "réunion", "bureau -f3", "numéro tag:f4", "folder:f1"} {
			for _, page := range []struct{ offset, limit int }{{0, 20}, {20, 20}, {35, 7}, {0, MaxLimit}, {200, 50}} {
				q := Query{Text: text, Access: a, Sort: "date", Offset: page.offset, Limit: page.limit}
				w, g := search(t, one, q), search(t, four, q)
				if w.Total != g.Total || !slices.Equal(ids(w), ids(g)) {
					t.Errorf("%q by date %+v: 4 shards give %d %v, 1 gives %d %v", text, page, g.Total, ids(g), w.Total, ids(w))
				}
				if !reflect.DeepEqual(facetMap(w.Facets), facetMap(g.Facets)) {
					t.Errorf("%q: facets differ: 4 shards %v, 1 %v", text, g.Facets, w.Facets)
				}
			}
			if text == "" {
				continue
			}
			q := Query{Text: text, Access: a, Limit: MaxLimit}
			var all1, all4 []string
			for q.Offset = 0; q.Offset < 300; q.Offset += MaxLimit {
				all1 = append(all1, ids(search(t, one, q))...)
				all4 = append(all4, ids(search(t, four, q))...)
			}
			slices.Sort(all1)
			slices.Sort(all4)
			if (len(all1) == 0 && a.All) || !slices.Equal(all1, all4) {
				t.Errorf("%q by relevance: 4 shards find %d documents, 1 finds %d", text, len(all4), len(all1))
			}
		}
	}
}

// Relevance order with shards is deterministic: equal scores are ordered
// by ID, not by which shard answered first.
func TestShardedTiesOrderedByID(t *testing.T) {
	ix, err := Open(t.TempDir(), testLogger(t), WithShards(4))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	// Ten identical documents per shard: every shard has the same
	// statistics, so every score is equal.
	var docs []Document
	perShard := make([]int, len(ix.sh))
	for i := 0; len(docs) < 40; i++ {
		id := fmt.Sprintf("t%03d", i)
		if s := ix.sh.of(id); perShard[s] < 10 {
			perShard[s]++
			docs = append(docs, Document{ID: id, Name: "même.txt", Path: "/même.txt",
				Lang: "fr", Content: "identique", Modified: day("2024-01-01")})
		}
	}
	if err := ix.Apply(context.Background(), docs, nil); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		res := search(t, ix, Query{Text: "identique", Access: all, Limit: 15, Offset: 5})
		if len(res.Hits) != 15 {
			t.Fatalf("%d hits", len(res.Hits))
		}
		for i, h := range res.Hits {
			if h.ID != docs[i+5].ID || h.Score != res.Hits[0].Score {
				t.Fatalf("hit %d = %s (score %v), want %s (score %v)", i, h.ID, h.Score, docs[i+5].ID, res.Hits[0].Score)
			}
		}
	}
}

// An index written before shards (the generation directory is itself a
// bleve index) still opens and serves, reports NeedsRebuild, and a
// rebuild turns it into the configured shards.
func TestUnshardedGenerationRebuilds(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	bi, err := newGeneration(filepath.Join(dir, "gen-000001"))
	if err != nil {
		t.Fatal(err)
	}
	if err := bi.SetInternal([]byte(versionKey), []byte("2")); err != nil {
		t.Fatal(err)
	}
	bi.Close()
	if err := writeCurrent(dir, "gen-000001"); err != nil {
		t.Fatal(err)
	}
	ix, err := Open(dir, testLogger(t), WithShards(3))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if len(ix.sh) != 1 || !ix.NeedsRebuild() {
		t.Errorf("old generation: %d shards, NeedsRebuild %v; want 1, true", len(ix.sh), ix.NeedsRebuild())
	}
	if err := ix.Apply(ctx, fixture(), nil); err != nil {
		t.Fatal(err)
	}
	before := search(t, ix, Query{Text: "statuts", Access: all})
	if before.Total == 0 {
		t.Fatal("old generation: nothing found")
	}

	rb, err := ix.BeginRebuild()
	if err != nil {
		t.Fatal(err)
	}
	defer rb.Abort()
	if err := rb.Add(ctx, fixture()); err != nil {
		t.Fatal(err)
	}
	if err := rb.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if len(ix.sh) != 3 || ix.NeedsRebuild() {
		t.Errorf("rebuilt: %d shards, NeedsRebuild %v; want 3, false", len(ix.sh), ix.NeedsRebuild())
	}
	after := search(t, ix, Query{Text: "statuts", Access: all})
	if after.Total != before.Total {
		t.Errorf("rebuilt: %d found, before %d", after.Total, before.Total)
	}
	for i := range 3 {
		if _, err := os.Stat(filepath.Join(dir, "gen-000002", fmt.Sprintf("shard-%d", i), "index_meta.json")); err != nil {
			t.Errorf("shard %d of the new generation: %v", i, err)
		}
	}
	if got := genDirs(t, dir); !slices.Equal(got, []string{"gen-000002"}) {
		t.Errorf("generations on disk = %v, want [gen-000002]", got)
	}

	// Reopened with another number of shards: serves, asks for a rebuild.
	ix.Close()
	ix2, err := Open(dir, testLogger(t), WithShards(2))
	if err != nil {
		t.Fatal(err)
	}
	defer ix2.Close()
	if !ix2.NeedsRebuild() || len(ix2.sh) != 3 {
		t.Errorf("opened with 2 shards configured: %d shards, NeedsRebuild %v", len(ix2.sh), ix2.NeedsRebuild())
	}
	if res := search(t, ix2, Query{Text: "statuts", Access: all}); res.Total != before.Total {
		t.Errorf("3 shards opened as 2: %d found, want %d", res.Total, before.Total)
	}
}

// A shard that cannot answer fails the search rather than silently
// dropping its hits.
func TestShardFailureFailsSearch(t *testing.T) {
	ix, _ := openTest(t, fixture()...)
	if len(ix.sh) < 2 {
		t.Fatalf("%d shards by default", len(ix.sh))
	}
	if err := ix.sh[1].Close(); err != nil {
		t.Fatal(err)
	}
	_, err := ix.Search(context.Background(), Query{Text: "statuts", Access: all})
	if err == nil {
		t.Error("search with a closed shard: no error")
	}
	// Close the rest so that Cleanup's Close does not trip on the shard.
	ix.sh[1] = bleve.NewIndexAlias()
}
