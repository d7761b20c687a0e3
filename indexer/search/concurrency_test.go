package search

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Searches run while documents move between folders, change and disappear,
// and while the index is rebuilt and swapped. Run with -race. Every hit must
// be visible under the searcher's grant in the version that matched: a
// document's path always agrees with its ancestors.
func TestConcurrentSearchApplyRebuild(t *testing.T) {
	ctx := context.Background()
	docs := manyDocs(300)
	ix, _ := openTest(t, docs...)

	var stop atomic.Bool
	var searches atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	queries := []string{"réunion", "bureau -numéro", `"du bureau"`, "note", "type:texte", ""}
	for g := 0; g < 3; g++ {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				folder := fmt.Sprintf("f%d", (g+i)%10)
				res, err := ix.Search(ctx, Query{
					Text:   queries[i%len(queries)],
					Access: Access{Roots: []string{folder}},
					Limit:  10,
				})
				if err != nil {
					errs <- err
					return
				}
				for _, h := range res.Hits {
					if !strings.HasPrefix(h.Path, "/"+folder+"/") {
						errs <- fmt.Errorf("grant %s: hit %s at %s", folder, h.ID, h.Path)
						return
					}
				}
				for _, fc := range res.Facets.Folders {
					if fc.Term != folder {
						errs <- fmt.Errorf("grant %s: facet folder %s", folder, fc.Term)
						return
					}
				}
				searches.Add(1)
			}
		})
	}

	for round := 1; round <= 6; round++ {
		// Move every third document to the next folder, delete a few.
		var ups []Document
		var dels []string
		for i := round % 3; i < len(docs); i += 3 {
			d := docs[i]
			f := fmt.Sprintf("f%d", (i+round)%10)
			d.Path = fmt.Sprintf("/%s/%s", f, d.Name)
			d.Ancestors = []string{"root", f}
			d.Content = fmt.Sprintf("Note déplacée %d fois. Réunion du bureau.", round)
			ups = append(ups, d)
		}
		for i := round; i < len(docs); i += 50 {
			dels = append(dels, docs[i].ID)
		}
		if err := ix.Apply(ctx, ups, dels); err != nil {
			t.Fatal(err)
		}
		if round == 3 {
			rb, err := ix.BeginRebuild()
			if err != nil {
				t.Fatal(err)
			}
			if err := rb.Add(ctx, docs); err != nil {
				t.Fatal(err)
			}
			if err := rb.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if searches.Load() == 0 {
		t.Error("no search completed")
	}
	t.Logf("%d searches during the updates", searches.Load())
}
