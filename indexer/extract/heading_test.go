package extract

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"notreasso/indexer/extract/testdocs"
)

// A document without a title property is titled by its first heading; a
// property, when there is one, wins.
func TestTitleFromFirstHeading(t *testing.T) {
	const body = "Le budget prévisionnel est approuvé."
	cases := []struct {
		name, mime string
		data       func() ([]byte, error)
		title      string
	}{
		{"notes.md", "text/markdown", func() ([]byte, error) { return testdocs.MarkdownWithHeading("Réunion du bureau", body), nil }, "Réunion du bureau"},
		{"notes.txt", "text/plain", func() ([]byte, error) { return testdocs.MarkdownWithHeading("Réunion du bureau", body), nil }, ""},
		{"page.html", "text/html", func() ([]byte, error) { return testdocs.HTMLPage("", "Kermesse de printemps", body), nil }, "Kermesse de printemps"},
		{"titree.html", "text/html", func() ([]byte, error) { return testdocs.HTMLPage("Programme 2026", "Kermesse", body), nil }, "Programme 2026"},
		{"h1.docx", "", func() ([]byte, error) { return testdocs.DOCXWithHeading("Heading1", "Rapport financier", body) }, "Rapport financier"},
		{"titre1.docx", "", func() ([]byte, error) { return testdocs.DOCXWithHeading("Titre1", "Rapport moral", body) }, "Rapport moral"},
		{"normal.docx", "", func() ([]byte, error) { return testdocs.DOCXWithHeading("Normal", "Pas un titre", body) }, ""},
		{"cr.odt", "", func() ([]byte, error) { return testdocs.ODTWithHeading("Compte rendu de l'AG", body) }, "Compte rendu de l'AG"},
		{"prop.docx", "", func() ([]byte, error) {
			return testdocs.DOCXWithCore("budget", "Titre des propriétés", "", "")
		}, "Titre des propriétés"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data, err := c.data()
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			res, err := Extract(context.Background(), bytes.NewReader(data), int64(len(data)), c.mime, c.name, &out, Limits{})
			if err != nil || res.Status != StatusOK {
				t.Fatalf("Extract: %v, %+v", err, res)
			}
			if res.Title != c.title {
				t.Errorf("title %q, want %q", res.Title, c.title)
			}
			if !strings.Contains(out.String(), "budget") {
				t.Errorf("text lost: %q", out.String())
			}
		})
	}
}
