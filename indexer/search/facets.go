package search

import (
	"sort"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
)

// Facets counts the documents matching a query (and visible to the user)
// by tag, type family, first-level folder and year of modification.
// Folders terms are folder ids, Types terms are family keys (pdf,
// document, spreadsheet, …); both can be fed back into Query.Folder and
// Query.Types. Tags and Folders are the most frequent first, Years the most
// recent first.
type Facets struct {
	Tags, Types, Folders, Years []FacetCount
}

// FacetCount is one facet value and its number of documents.
type FacetCount struct {
	Term  string
	Count int
}

// Facet sizes: enough for a side panel; years are all kept.
var facetFields = []struct {
	name, field string
	size        int
}{
	{"tags", fTags, 30},
	{"types", fFamily, 20},
	{"folders", fTop, 30},
	{"years", fYear, 100},
}

// addFacets asks bleve to count the facet fields (from doc values) over
// every matching document.
func addFacets(req *bleve.SearchRequest) {
	for _, f := range facetFields {
		req.AddFacet(f.name, bleve.NewFacetRequest(f.field, f.size))
	}
}

func facetsFrom(res bsearch.FacetResults) Facets {
	get := func(name string) []FacetCount {
		fr, ok := res[name]
		if !ok || fr == nil || fr.Terms == nil {
			return nil
		}
		terms := fr.Terms.Terms()
		out := make([]FacetCount, 0, len(terms))
		for _, t := range terms {
			out = append(out, FacetCount{Term: t.Term, Count: t.Count})
		}
		// bleve orders by count; make ties deterministic.
		sort.SliceStable(out, func(i, j int) bool {
			if out[i].Count != out[j].Count {
				return out[i].Count > out[j].Count
			}
			return out[i].Term < out[j].Term
		})
		return out
	}
	f := Facets{
		Tags:    get("tags"),
		Types:   get("types"),
		Folders: get("folders"),
		Years:   get("years"),
	}
	sort.Slice(f.Years, func(i, j int) bool { return f.Years[i].Term > f.Years[j].Term })
	return f
}
