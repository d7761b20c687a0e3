package search

import (
	"math"
	"reflect"
	"slices"
	"strconv"
	"testing"
)

// visible mirrors the documented rule: a document is visible iff its ID or
// one of its ancestors is a root, and none of the nodes after that root on
// the way to the document is one of the root's cuts (restricted folders).
func visible(d Document, a Access) bool {
	if a.All {
		return true
	}
	path := append(slices.Clone(d.Ancestors), d.ID)
	for i, x := range path {
		if !slices.Contains(a.Roots, x) {
			continue
		}
		if !slices.ContainsFunc(path[i+1:], func(y string) bool { return slices.Contains(a.Cuts[x], y) }) {
			return true
		}
	}
	return false
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

// aclPaths runs f with each way the permission filter can run: checking
// the user query's matches against the visible set, and leapfrogging
// (a conjunction with it). Which one a search takes depends on the share
// of visible documents; both must give the same results.
func aclPaths(t *testing.T, f func(t *testing.T)) {
	defer func(v float64) { aclDenseShare = v }(aclDenseShare)
	for _, p := range []struct {
		name  string
		share float64
	}{{"check", 0}, {"leapfrog", 2}} {
		aclDenseShare = p.share
		t.Run(p.name, f)
	}
}

func TestPermissionFilter(t *testing.T) { aclPaths(t, testPermissionFilter) }

func testPermissionFilter(t *testing.T) {
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
		// Restricted folders (cuts): a root's grant stops at them.
		{Roots: []string{"root"}, Cuts: map[string][]string{"root": {"fArc"}}},
		{Roots: []string{"root", "fArc"}, Cuts: map[string][]string{"root": {"fAdm", "fArc"}}},
		{Roots: []string{"fAdm"}, Cuts: map[string][]string{"fAdm": {"fArc"}}},
		{Roots: []string{"root", "d-reglement"}, Cuts: map[string][]string{"root": {"fAdm", "fIntl"}}},
		{Roots: []string{"fCompta"}, Cuts: map[string][]string{"root": {"fCompta"}}}, // a cut above the root means nothing
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
func TestPermissionFilterKeepsScores(t *testing.T) { aclPaths(t, testPermissionFilterKeepsScores) }

func testPermissionFilterKeepsScores(t *testing.T) {
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

// The visible set is built from internal document numbers: on an index of
// several segments (several batches), with updated and deleted documents,
// both filter paths must give exactly the visible matches, with the scores
// an administrator gets. (Equal scores are ordered by internal document
// number, which a background merge may change between two searches: hits
// are compared as sets.)
func TestPermissionFilterManySegments(t *testing.T) {
	defer func(n int) { batchDocs = n }(batchDocs)
	batchDocs = 15
	docs := manyDocs(MaxLimit - 5) // every query fits a page
	ix, _ := openTest(t, docs...)
	// Updates and deletes leave obsolete document numbers in old segments.
	moved := slices.Clone(docs[10:40])
	for i := range moved {
		moved[i].Ancestors = []string{"root", "f7"}
		moved[i].Path = "/f7/" + moved[i].Name
	}
	deleted := []string{"m00050", "m00057", "m00027"}
	if err := ix.Apply(t.Context(), moved, deleted); err != nil {
		t.Fatal(err)
	}
	current := map[string]Document{}
	for _, d := range append(docs, moved...) {
		current[d.ID] = d
	}
	for _, id := range deleted {
		delete(current, id)
	}
	scores := func(res *Result) map[string]float64 {
		m := map[string]float64{}
		for _, h := range res.Hits {
			m[h.ID] = math.Round(h.Score*1e9) / 1e9
		}
		return m
	}
	aclPaths(t, func(t *testing.T) {
		for _, a := range []Access{
			{Roots: []string{"f7"}},
			{Roots: []string{"f1", "f7", "m00003"}},
			{Roots: []string{"m00011", "m00060"}},
			{Roots: []string{"root"}},
		} {
			// Phrases check visibility themselves, before reading positions.
			for _, text := range []string{"", "réunion", "note -f3", "dossier tag:f7", `"réunion du bureau"`, `"dossier f3"`} {
				adm := search(t, ix, Query{Text: text, Access: all, Limit: MaxLimit})
				res := search(t, ix, Query{Text: text, Access: a, Limit: MaxLimit})
				want := map[string]float64{}
				for id, sc := range scores(adm) {
					if visible(current[id], a) {
						want[id] = sc
					}
				}
				if len(want) == 0 && text != "dossier tag:f7" && text != `"dossier f3"` {
					t.Errorf("%q with %v: nothing visible, a weak test", text, a.Roots)
				}
				if got := scores(res); res.Total != uint64(len(want)) || !reflect.DeepEqual(got, want) {
					t.Errorf("%q with %v: Total %d, hits %v; want %v", text, a.Roots, res.Total, got, want)
				}
			}
		}
	})
}

// TestVisibleSetFollowsChanges: the cached visible set of a user is not
// reused once the index changes: a document moved out of the granted
// folder disappears from the next search, one moved in appears, and
// another user's roots get their own set.
func TestVisibleSetFollowsChanges(t *testing.T) {
	doc := func(id, folder string) Document {
		return Document{ID: id, Name: id + ".txt", Path: "/" + folder + "/" + id + ".txt", Ancestors: []string{folder}, Content: "cotisation annuelle"}
	}
	ix, _ := openTest(t, doc("a", "bureau"), doc("b", "public"))
	bureau := Query{Text: "cotisation", Access: Access{Roots: []string{"bureau"}}}
	public := Query{Text: "cotisation", Access: Access{Roots: []string{"public"}}}
	for range 2 { // the second time from the cache
		if got := ids(search(t, ix, bureau)); !reflect.DeepEqual(got, []string{"a"}) {
			t.Fatalf("bureau sees %v, want [a]", got)
		}
		if got := ids(search(t, ix, public)); !reflect.DeepEqual(got, []string{"b"}) {
			t.Fatalf("public sees %v, want [b]", got)
		}
	}
	if err := ix.Apply(t.Context(), []Document{doc("a", "public"), doc("b", "bureau")}, nil); err != nil {
		t.Fatal(err)
	}
	if got := ids(search(t, ix, bureau)); !reflect.DeepEqual(got, []string{"b"}) {
		t.Errorf("after the moves bureau sees %v, want [b]", got)
	}
	if got := ids(search(t, ix, public)); !reflect.DeepEqual(got, []string{"a"}) {
		t.Errorf("after the moves public sees %v, want [a]", got)
	}
}
