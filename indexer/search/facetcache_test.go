package search

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// TestFacetCacheMatchesDocValues: facets counted from the per-segment
// cache equal those read from doc values per match, on an index of many
// segments (one per batch) with updated and deleted documents, across
// updates made between searches (new segments, merges).
func TestFacetCacheMatchesDocValues(t *testing.T) {
	ix, _ := openTest(t)
	ctx := context.Background()
	doc := func(i, rev int) Document {
		return Document{
			ID: fmt.Sprint(i), Name: fmt.Sprintf("f%d.txt", i), Path: fmt.Sprintf("/d%d/f%d.txt", i%4, i),
			Ancestors: []string{fmt.Sprintf("d%d", i%4)}, Tags: []string{fmt.Sprintf("t%d", (i+rev)%5), "commun"},
			Mime: "text/plain", Modified: time.Date(2020+(i+rev)%4, 1, 2, 0, 0, 0, 0, time.UTC),
			Content: fmt.Sprintf("réunion du bureau numéro %d révision %d", i, rev),
		}
	}
	compare := func(step string) {
		t.Helper()
		for _, q := range []Query{
			{Text: "réunion", Access: Access{All: true}},
			{Text: "bureau", Access: Access{Roots: []string{"d1", "d2"}}},
			{Text: "numéro", Tags: []string{"commun"}, Access: Access{All: true}, Limit: 3},
		} {
			cached := search(t, ix, q)
			if ix.facets.size() == 0 {
				t.Fatalf("%s: the facet cache was not used", step)
			}
			saved := ix.facets
			ix.facets = nil
			plain := search(t, ix, q)
			ix.facets = saved
			if cached.Total != plain.Total || !reflect.DeepEqual(cached.Facets, plain.Facets) {
				t.Fatalf("%s, %q: cached facets %+v (total %d), doc values %+v (total %d)",
					step, q.Text, cached.Facets, cached.Total, plain.Facets, plain.Total)
			}
			if len(cached.Facets.Tags) == 0 || len(cached.Facets.Years) == 0 {
				t.Fatalf("%s, %q: no facets %+v", step, q.Text, cached.Facets)
			}
		}
	}
	for b := range 12 { // one segment per Apply
		var docs []Document
		for i := b * 10; i < b*10+10; i++ {
			docs = append(docs, doc(i, 0))
		}
		if err := ix.Apply(ctx, docs, nil); err != nil {
			t.Fatal(err)
		}
	}
	compare("12 batches")
	for rev := 1; rev <= 3; rev++ {
		var docs []Document
		var deletes []string
		for i := rev; i < 120; i += 7 {
			docs = append(docs, doc(i, rev))
		}
		for i := rev * 3; i < 120; i += 11 {
			deletes = append(deletes, fmt.Sprint(i))
		}
		if err := ix.Apply(ctx, docs, deletes); err != nil {
			t.Fatal(err)
		}
		compare(fmt.Sprintf("revision %d", rev))
	}
}
