package search

import (
	"math"
	"reflect"
	"slices"
	"strconv"
	"testing"
)

// visible mirrors the documented rule: a document is visible iff its ID or
// one of its ancestors is a root.
func visible(d Document, a Access) bool {
	if a.All {
		return true
	}
	return slices.Contains(a.Roots, d.ID) || slices.ContainsFunc(d.Ancestors, func(x string) bool {
		return slices.Contains(a.Roots, x)
	})
}

// facetsOf counts facets over docs by brute force.
func facetsOf(docs []Document) map[string]map[string]int {
	f := map[string]map[string]int{"tags": {}, "types": {}, "folders": {}, "years": {}}
	for _, d := range docs {
		for _, t := range d.Tags {
			f["tags"][t]++
		}
		f["types"][typeFamily(d.Name, d.Mime)]++
		if top := topFolder(d.Path, d.Ancestors); top != "" {
			f["folders"][top]++
		}
		f["years"][strconv.Itoa(d.Modified.Year())]++
	}
	return f
}

func facetMap(f Facets) map[string]map[string]int {
	m := map[string]map[string]int{"tags": {}, "types": {}, "folders": {}, "years": {}}
	for name, fcs := range map[string][]FacetCount{"tags": f.Tags, "types": f.Types, "folders": f.Folders, "years": f.Years} {
		for _, fc := range fcs {
			m[name][fc.Term] = fc.Count
		}
	}
	return m
}

func TestPermissionFilter(t *testing.T) {
	docs := fixture()
	byID := map[string]Document{}
	for _, d := range docs {
		byID[d.ID] = d
	}
	accesses := []Access{
		{Roots: []string{"fAdm"}},
		{Roots: []string{"fArc", "fCompta"}},
		{Roots: []string{"d-minutes"}}, // a single document shared
		{Roots: []string{"fIntl", "fIntl", "d-root"}},
		{Roots: []string{"root"}},
		{Roots: []string{"unknown"}},
		{Roots: []string{}},
		{},
		{All: true},
	}
	texts := []string{"", "statuts", "association", "tag:AG", "type:pdf", "réunion -compte", `"assemblée générale"`, "admin"}
	ix, src := openTest(t, docs...)
	for _, a := range accesses {
		for _, text := range texts {
			// Expected: what an administrator gets, restricted to visible docs.
			full := search(t, ix, Query{Text: text, Access: all, Limit: MaxLimit})
			var want []Document
			for _, id := range ids(full) {
				if visible(byID[id], a) {
					want = append(want, byID[id])
				}
			}
			before := len(src.readIDs())
			res := search(t, ix, Query{Text: text, Access: a, Limit: MaxLimit})
			for _, h := range res.Hits {
				if !visible(byID[h.ID], a) {
					t.Errorf("%q with %+v: hit %s is not visible", text, a, h.ID)
				}
			}
			if res.Total != uint64(len(want)) || len(res.Hits) != len(want) {
				t.Errorf("%q with %+v: Total %d, %d hits, want %d", text, a, res.Total, len(res.Hits), len(want))
			}
			if got, w := facetMap(res.Facets), facetsOf(want); !reflect.DeepEqual(got, w) {
				t.Errorf("%q with %+v: facets %v, want %v", text, a, got, w)
			}
			for _, id := range src.readIDs()[before:] {
				if !visible(byID[id], a) {
					t.Errorf("%q with %+v: text of invisible %s was read for snippets", text, a, id)
				}
			}
		}
	}
}

// The permission filter restricts without ranking: boost 0 terms leave the
// scores of visible documents as an administrator would get them.
func TestPermissionFilterKeepsScores(t *testing.T) {
	ix, _ := openTest(t, fixture()...)
	for _, text := range []string{"statuts", "association budget", "réunion"} {
		adm := search(t, ix, Query{Text: text, Access: all})
		user := search(t, ix, Query{Text: text, Access: Access{Roots: []string{"root"}}})
		if len(adm.Hits) == 0 || len(adm.Hits) != len(user.Hits) {
			t.Fatalf("%q: %d hits as admin, %d as user", text, len(adm.Hits), len(user.Hits))
		}
		for i := range adm.Hits {
			a, u := adm.Hits[i], user.Hits[i]
			if a.ID != u.ID || math.Abs(a.Score-u.Score) > 1e-9 {
				t.Errorf("%q: hit %d is %s (%v) as admin, %s (%v) as user", text, i, a.ID, a.Score, u.ID, u.Score)
			}
		}
	}
}
