package search

import "testing"

func TestDistinctTitle(t *testing.T) {
	for _, c := range []struct{ title, name, want string }{
		{"Rapport moral 2025", "scan0042.pdf", "Rapport moral 2025"},
		{"Rapport moral", "rapport moral.docx", ""},
		{"Réunion  du bureau", "Reunion du bureau.odt", ""},
		{"notes.txt", "notes.txt", ""},
		{"", "notes.txt", ""},
		{"Rapport", "Rapport moral.docx", "Rapport"},
	} {
		if got := DistinctTitle(c.title, c.name); got != c.want {
			t.Errorf("DistinctTitle(%q, %q) = %q, want %q", c.title, c.name, got, c.want)
		}
	}
}
