package search

import (
	"reflect"
	"slices"
	"testing"
)

func TestSearchMorphology(t *testing.T) {
	ix, _ := openTest(t, fixture()...)
	tests := []struct {
		name, text string
		want       []string
	}{
		{"plural finds singular", "statuts", []string{"d-pv", "d-root", "d-statuts"}},
		{"singular finds plural", "statut", []string{"d-pv", "d-root", "d-statuts"}},
		{"accent omitted", "reunion", []string{"d-pv", "d-reglement"}},
		{"accent given", "réunion", []string{"d-pv", "d-reglement"}},
		{"accents omitted, two words", "assemblee generale", []string{"d-pv"}},
		{"upper case", "ASSEMBLÉE", []string{"d-pv", "d-reglement"}},
		{"elision in query", "l'association", []string{"d-finance", "d-minutes", "d-statuts"}},
		{"elision in text", "association", []string{"d-finance", "d-minutes", "d-statuts"}},
		{"typographic apostrophe", "l’association", []string{"d-finance", "d-minutes", "d-statuts"}},
		{"english stemming plural", "meetings", []string{"d-minutes"}},
		{"english stemming singular", "meeting", []string{"d-minutes"}},
		{"english possessive", "association's", []string{"d-minutes"}},
		{"french plural", "comptes", []string{"d-finance", "d-pv", "d-reglement"}},
		{"all words required", "budget mairie", []string{"d-finance"}},
		{"stop words ignored", "le budget de la mairie", []string{"d-finance"}},
		{"only stop words: kept", "sont", []string{"d-pv", "d-reglement"}},
		{"the most frequent words are not indexed", "les", nil},
		{"no match", "piscine", nil},
		{"punctuation only", "- ; !", []string{"d-finance", "d-minutes", "d-pv", "d-reglement", "d-root", "d-statuts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := search(t, ix, Query{Text: tt.text, Access: all})
			if got := ids(res); !slices.Equal(got, tt.want) {
				t.Errorf("Search(%q) = %v, want %v", tt.text, got, tt.want)
			}
			if res.Total != uint64(len(tt.want)) {
				t.Errorf("Total = %d, want %d", res.Total, len(tt.want))
			}
		})
	}
}

func TestSearchFiltersAndSyntax(t *testing.T) {
	ix, _ := openTest(t, fixture()...)
	adm := []string{"d-pv", "d-reglement", "d-statuts"}
	tests := []struct {
		name string
		q    Query
		want []string
	}{
		{"tag case-insensitive", Query{Text: "tag:juridique"}, []string{"d-reglement", "d-statuts"}},
		{"two tags are both required", Query{Text: "tag:Juridique tag:officiel"}, []string{"d-statuts"}},
		{"Tags field", Query{Tags: []string{"AG"}}, []string{"d-minutes", "d-pv"}},
		{"tag in text and Tags", Query{Text: "tag:ag", Tags: []string{"officiel"}}, []string{"d-pv"}},
		{"quoted tag", Query{Text: `tag:"Juridique"`}, []string{"d-reglement", "d-statuts"}},
		{"type family", Query{Text: "type:pdf"}, []string{"d-minutes", "d-statuts"}},
		{"type alias", Query{Text: "type:tableur"}, []string{"d-finance"}},
		{"type extension", Query{Text: "type:DOCX"}, []string{"d-pv"}},
		{"type mime", Query{Text: "type:application/pdf"}, []string{"d-minutes", "d-statuts"}},
		{"types are alternatives", Query{Text: "type:pdf type:excel"}, []string{"d-finance", "d-minutes", "d-statuts"}},
		{"Types field", Query{Types: []string{"spreadsheet", "document"}}, []string{"d-finance", "d-pv", "d-reglement"}},
		{"folder name", Query{Text: "folder:administratif"}, adm},
		{"folder sub name", Query{Text: "dossier:Archives"}, []string{"d-reglement"}},
		{"folder path", Query{Text: "folder:/Administratif/Archives/"}, []string{"d-reglement"}},
		{"folder path top", Query{Text: "folder:/administratif"}, adm},
		{"folder without accent", Query{Text: "folder:comptabilite"}, []string{"d-finance"}},
		{"folder quoted", Query{Text: `dossier:"Comptabilité"`}, []string{"d-finance"}},
		{"Folder id", Query{Folder: "fAdm"}, adm},
		{"Folder sub id", Query{Folder: "fArc"}, []string{"d-reglement"}},
		{"author text", Query{Text: "auteur:AMARIE"}, []string{"d-reglement", "d-root", "d-statuts"}},
		{"Author field", Query{Author: "bpaul"}, []string{"d-pv"}},
		// « PV AG 2023.docx », modified on 2023-06-20, is filed under the
		// year in its name (2023-01-01).
		{"From inclusive", Query{From: day("2023-06-20")}, []string{"d-finance", "d-minutes"}},
		{"date in the name", Query{From: day("2023-01-01"), To: day("2023-01-02")}, []string{"d-pv"}},
		{"To exclusive", Query{To: day("2021-03-15")}, []string{"d-reglement"}},
		{"one day", Query{From: day("2021-03-15"), To: day("2021-03-16")}, []string{"d-statuts"}},
		{"negated tag", Query{Text: "-tag:officiel"}, []string{"d-finance", "d-minutes", "d-reglement", "d-root"}},
		{"word and negated type", Query{Text: "statuts -type:pdf"}, []string{"d-pv", "d-root"}},
		{"excluded word", Query{Text: "-réunion"}, []string{"d-finance", "d-minutes", "d-root", "d-statuts"}},
		{"excluded word stemmed", Query{Text: "statut -statuts"}, nil},
		{"excluded phrase", Query{Text: `statuts -"nouveaux statuts"`}, []string{"d-root", "d-statuts"}},
		{"excluded absent word", Query{Text: "-piscine"}, []string{"d-finance", "d-minutes", "d-pv", "d-reglement", "d-root", "d-statuts"}},
		{"name prefix", Query{Text: "rapp"}, []string{"d-finance"}},
		{"folder prefix, accent folded", Query{Text: "compta", Exact: true}, []string{"d-finance"}}, // forgiving: also "compte"
		{"path prefix", Query{Text: "admin"}, adm},
		{"name prefix with hyphen", Query{Text: "lisez"}, []string{"d-root"}},
		{"too short for prefix", Query{Text: "ra"}, nil},
		{"phrase", Query{Text: `"assemblée générale"`}, []string{"d-pv"}},
		{"phrase without accents", Query{Text: `"ASSEMBLEE GENERALE"`}, []string{"d-pv"}},
		{"phrase order matters", Query{Text: `"générale assemblée"`}, nil},
		{"phrase with stop word", Query{Text: `"salle des fêtes"`}, []string{"d-pv"}},
		{"phrase words apart", Query{Text: `"comptes approuvés"`}, nil},
		{"phrase in name", Query{Text: `"rapport financier"`}, []string{"d-finance"}},
		{"word matches a tag", Query{Text: "juridique"}, []string{"d-reglement", "d-statuts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Access = all
			res := search(t, ix, tt.q)
			if got := ids(res); !slices.Equal(got, tt.want) {
				t.Errorf("Search(%+v) = %v, want %v", tt.q, got, tt.want)
			}
			if res.Total != uint64(len(tt.want)) {
				t.Errorf("Total = %d, want %d", res.Total, len(tt.want))
			}
		})
	}
}

func TestSearchSortAndPaging(t *testing.T) {
	ix, _ := openTest(t, fixture()...)
	newest := []string{"d-minutes", "d-finance", "d-pv", "d-root", "d-statuts", "d-reglement"}
	tests := []struct {
		name      string
		q         Query
		want      []string
		wantTotal uint64
	}{
		{"no text sorts by date", Query{}, newest, 6},
		{"date sort", Query{Text: "statuts", Sort: "date"}, []string{"d-pv", "d-root", "d-statuts"}, 3},
		{"page 2", Query{Limit: 2, Offset: 2}, newest[2:4], 6},
		{"last page", Query{Limit: 4, Offset: 4}, newest[4:], 6},
		{"past the end", Query{Limit: 4, Offset: 10}, []string{}, 6},
		{"name match ranks first", Query{Text: "statuts", Limit: 1}, []string{"d-statuts"}, 3},
		{"english words, all required", Query{Text: "meeting budget", Limit: 1}, []string{"d-minutes"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Access = all
			res := search(t, ix, tt.q)
			if got := hitIDs(res); !slices.Equal(got, tt.want) {
				t.Errorf("hits = %v, want %v", got, tt.want)
			}
			if res.Total != tt.wantTotal {
				t.Errorf("Total = %d, want %d", res.Total, tt.wantTotal)
			}
			for _, h := range res.Hits {
				if byDate := tt.q.Sort == "date" || tt.q.Text == ""; byDate != (h.Score == 0) {
					t.Errorf("hit %s: score %v (sorted by date: %v)", h.ID, h.Score, byDate)
				}
			}
		})
	}
}

func TestSearchHitFields(t *testing.T) {
	docs := fixture()
	ix, _ := openTest(t, docs...)
	res := search(t, ix, Query{Text: "rapport", Access: all})
	if len(res.Hits) != 1 {
		t.Fatalf("hits = %v, want d-finance", ids(res))
	}
	h, d := res.Hits[0], docs[3]
	if h.ID != d.ID || h.Name != d.Name || h.Path != d.Path || h.Mime != d.Mime ||
		h.Author != d.Author || h.Size != d.Size || !h.Modified.Equal(d.Modified) ||
		!slices.Equal(h.Tags, d.Tags) {
		t.Errorf("hit = %+v, want fields of %+v", h, d)
	}
	if h.Score <= 0 {
		t.Errorf("Score = %v, want > 0", h.Score)
	}
	if res.Took <= 0 {
		t.Errorf("Took = %v, want > 0", res.Took)
	}
}

func TestFacets(t *testing.T) {
	ix, _ := openTest(t, fixture()...)
	res := search(t, ix, Query{Access: all})
	want := Facets{
		Tags:    []FacetCount{{"AG", 2}, {"Juridique", 2}, {"officiel", 2}, {"Finances", 1}},
		Types:   []FacetCount{{"document", 2}, {"pdf", 2}, {"spreadsheet", 1}, {"text", 1}},
		Folders: []FacetCount{{"fAdm", 3}, {"fCompta", 1}, {"fIntl", 1}},
		Years:   []FacetCount{{"2024", 2}, {"2023", 1}, {"2022", 1}, {"2021", 1}, {"2019", 1}},
	}
	if !reflect.DeepEqual(res.Facets, want) {
		t.Errorf("Facets =\n %+v\nwant\n %+v", res.Facets, want)
	}
	// Facets follow the query.
	res = search(t, ix, Query{Text: "type:pdf", Access: all})
	if want := []FacetCount{{"2024", 1}, {"2021", 1}}; !reflect.DeepEqual(res.Facets.Years, want) {
		t.Errorf("Years for type:pdf = %+v, want %+v", res.Facets.Years, want)
	}
}

func TestTopFolder(t *testing.T) {
	tests := []struct {
		path      string
		ancestors []string
		want      string
	}{
		{"/A/b/f.pdf", []string{"root", "A", "b"}, "A"}, // root included
		{"/A/b/f.pdf", []string{"A", "b"}, "A"},         // root omitted
		{"/A/f.pdf", []string{"root", "A"}, "A"},
		{"/f.pdf", []string{"root"}, ""},
		{"/A/b/f.pdf", []string{"b"}, ""}, // inconsistent input
	}
	for _, tt := range tests {
		if got := topFolder(tt.path, tt.ancestors); got != tt.want {
			t.Errorf("topFolder(%q, %v) = %q, want %q", tt.path, tt.ancestors, got, tt.want)
		}
	}
}

// Repeated searches give identical hits and scores. With several analysers
// on a field name, bleve would pick one by map iteration order; each field
// here is queried with its analyser named explicitly.
func TestSearchDeterministic(t *testing.T) {
	ix, _ := openTest(t, fixture()...)
	for _, text := range []string{"meetings budget", "réunions", "l'association", `"assemblée générale"`} {
		first := search(t, ix, Query{Text: text, Access: all})
		for range 30 {
			again := search(t, ix, Query{Text: text, Access: all})
			if len(again.Hits) != len(first.Hits) {
				t.Fatalf("%q: %d hits then %d", text, len(first.Hits), len(again.Hits))
			}
			for i := range again.Hits {
				if again.Hits[i].ID != first.Hits[i].ID || again.Hits[i].Score != first.Hits[i].Score {
					t.Fatalf("%q: hit %d changed: %+v then %+v", text, i, first.Hits[i], again.Hits[i])
				}
			}
		}
	}
}
