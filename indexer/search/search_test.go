package search

import (
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
		{"only stop words kept", "les", []string{"d-finance", "d-pv", "d-reglement", "d-root", "d-statuts"}},
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
