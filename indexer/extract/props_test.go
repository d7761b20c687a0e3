package extract

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"notreasso/indexer/extract/testdocs"
	"notreasso/internal/testutil/tier"
)

func TestDocumentProperties(t *testing.T) {
	date := func(s string) time.Time {
		d, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return d.UTC()
	}
	cases := []struct {
		name, mime string
		data       func() ([]byte, error)
		lim        Limits
		title      string
		date       time.Time
	}{
		{"pv.pdf", "application/pdf", func() ([]byte, error) {
			return testdocs.PDFWithInfo("Compte rendu du bureau", "PV du bureau de mars", "D:20250314103000+01'00'")
		}, Limits{NoExternalTools: true}, "PV du bureau de mars", date("2025-03-14T09:30:00Z")},
		{"rapport.docx", "", func() ([]byte, error) {
			return testdocs.DOCXWithCore("rapport moral", "Rapport moral 2024", "2025-02-01T08:00:00Z", "2026-01-10T08:00:00Z")
		}, Limits{}, "Rapport moral 2024", date("2025-02-01T08:00:00Z")},
		{"modifie.docx", "", func() ([]byte, error) {
			return testdocs.DOCXWithCore("rapport moral", "Untitled", "", "2023-06-30T12:00:00Z")
		}, Limits{}, "", date("2023-06-30T12:00:00Z")},
		{"cr.odt", "", func() ([]byte, error) {
			return testdocs.ODTWithMeta("compte rendu", "Compte rendu de l'AG", "2024-11-05T18:00:00")
		}, Limits{}, "Compte rendu de l'AG", date("2024-11-05T18:00:00Z")},
		{"message.eml", "message/rfc822", func() ([]byte, error) { return testdocs.EML("budget"), nil },
			Limits{}, "Procès-verbal de l'assemblée générale", date("2024-06-03T08:00:00Z")},
		{"sans.docx", "", func() ([]byte, error) { return testdocs.DOCX("budget") }, Limits{}, "", time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data, err := c.data()
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			res, err := Extract(context.Background(), bytes.NewReader(data), int64(len(data)), c.mime, c.name, &out, c.lim)
			if err != nil || res.Status != StatusOK {
				t.Fatalf("Extract: %v, %+v", err, res)
			}
			if res.Title != c.title || !res.Date.Equal(c.date) {
				t.Errorf("title %q date %v, want %q %v", res.Title, res.Date, c.title, c.date)
			}
		})
	}
}

// TestPDFPropertiesWithPoppler reads a PDF's /Info through pdfinfo, in
// the isolated worker as the indexer runs it.
func TestPDFPropertiesWithPoppler(t *testing.T) {
	tier.Tool(t, "pdfinfo", "poppler-utils")
	data, err := testdocs.PDFWithInfo("Compte rendu du bureau", "PV du bureau de mars", "D:20250314103000+01'00'")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pv.pdf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, res, _ := runWorker(t, path, "application/pdf", Limits{})
	if res.Extractor != "pdf/pdftotext" {
		t.Fatalf("extractor %q, want pdftotext (poppler-utils installed)", res.Extractor)
	}
	if want := time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC); res.Title != "PV du bureau de mars" || !res.Date.Equal(want) {
		t.Errorf("title %q date %v, want the /Info's (%v)", res.Title, res.Date, want)
	}
}

func TestParsePDFDate(t *testing.T) {
	for in, want := range map[string]string{
		"D:20250314103000+01'00'": "2025-03-14T09:30:00Z",
		"D:20250314103000Z":       "2025-03-14T10:30:00Z",
		"D:2024":                  "2024-01-01T00:00:00Z",
		"20231231":                "2023-12-31T00:00:00Z",
		"D:20240704-05'00":        "2024-07-04T05:00:00Z",
	} {
		got, ok := parsePDFDate(in)
		if !ok || got.UTC().Format(time.RFC3339) != want {
			t.Errorf("parsePDFDate(%q) = %v, %v; want %s", in, got.UTC(), ok, want)
		}
	}
	for _, bad := range []string{"", "D:", "D:20", "D:20241399", "hier"} {
		if got, ok := parsePDFDate(bad); ok {
			t.Errorf("parsePDFDate(%q) = %v, want no date", bad, got)
		}
	}
}
