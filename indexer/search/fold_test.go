package search

import (
	"slices"
	"testing"
)

func TestFoldString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"réunion", "reunion"},
		{"ASSEMBLÉE Générale", "assemblee generale"},
		{"Œuvre cœur", "oeuvre coeur"},
		{"ça, où, naïve, Noël", "ca, ou, naive, noel"},
		{"ﬁnances", "finances"},
		{"aujourd’hui", "aujourd'hui"},
		{"Straße Łódź", "strasse lodz"},
		{"plain ascii", "plain ascii"},
	}
	for _, tt := range tests {
		if got := foldString(tt.in); got != tt.want {
			t.Errorf("foldString(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := foldKeyword("  Conseil   d’Administration "); got != "conseil d'administration" {
		t.Errorf("foldKeyword = %q", got)
	}
}

func TestAnalyzers(t *testing.T) {
	an := testAnalyzers(t)
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"fold keeps stop words, folds, elides", terms(an.fold, "L'Assemblée générale d’été"), []string{"assemblee", "generale", "ete"}},
		{"name splits on punctuation", terms(an.name, "Rapport_final.V2-Compta.PDF"), []string{"rapport", "final", "v2", "compta", "pdf"}},
		{"name keeps digits and letters", terms(an.name, "/Dossier/sous/fichier 2024.pdf"), []string{"dossier", "sous", "fichier", "2024", "pdf"}},
		{"name survives invalid utf-8", terms(an.name, "a\xffb"), []string{"a", "b"}},
		{"fr stems plurals", terms(an.fr, "statuts statut"), []string{"statut", "statut"}},
		{"fr drops stop words", terms(an.fr, "le la des"), []string{}},
		{"en stems", terms(an.en, "meetings meeting"), []string{"meet", "meet"}},
	}
	for _, tt := range tests {
		if !slices.Equal(tt.got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestTypeFamily(t *testing.T) {
	tests := []struct {
		name, mime, want string
		terms            []string
	}{
		{"statuts.pdf", "application/pdf", famPDF, []string{"pdf", "application/pdf"}},
		{"PV.DOCX", "", famDocument, []string{"document", "docx"}},
		{"scan", "image/jpeg", famImage, []string{"image", "image/jpeg"}},
		{"budget", "application/vnd.oasis.opendocument.spreadsheet", famSpreadsheet, nil},
		{"slides", "application/vnd.openxmlformats-officedocument.presentationml.presentation", famPresentation, nil},
		{"notes", "text/plain", famText, nil},
		{"weird.xyz", "application/octet-stream", famOther, []string{"other", "xyz", "application/octet-stream"}},
	}
	for _, tt := range tests {
		if got := typeFamily(tt.name, tt.mime); got != tt.want {
			t.Errorf("typeFamily(%q, %q) = %q, want %q", tt.name, tt.mime, got, tt.want)
		}
		if tt.terms != nil && !slices.Equal(typeTerms(tt.name, tt.mime), tt.terms) {
			t.Errorf("typeTerms(%q, %q) = %q, want %q", tt.name, tt.mime, typeTerms(tt.name, tt.mime), tt.terms)
		}
	}
	for in, want := range map[string]string{"Tableur": famSpreadsheet, ".odt": "odt", "PDF": famPDF, "vidéo": famVideo} {
		if got := typeQueryTerm(in); got != want {
			t.Errorf("typeQueryTerm(%q) = %q, want %q", in, got, want)
		}
	}
}
