package e2e

import (
	"strings"
	"testing"
	"time"

	"notreasso/indexer/extract/testdocs"
	"notreasso/internal/testutil/server"
)

// extractionInfo is the extraction object of GET /api/v1/stat.
type extractionInfo struct {
	Status    string `json:"status"`
	Reason    string `json:"reason"`
	Lang      string `json:"lang"`
	Chars     int64  `json:"chars"`
	Extractor string `json:"extractor"`
	Truncated bool   `json:"truncated"`
}

// waitExtracted polls stat until the indexer has extracted the file's
// current content (status no longer pending), failing after within.
func waitExtracted(t *testing.T, c *client, path string, within time.Duration) extractionInfo {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var n struct {
			Extraction *extractionInfo `json:"extraction"`
		}
		if st := c.call("GET", "/api/v1/stat/"+escapePath(path), nil, &n); st != 200 {
			t.Fatalf("stat %s: status %d", path, st)
		}
		if n.Extraction == nil {
			t.Fatalf("stat %s: no extraction object", path)
		}
		if n.Extraction.Status != "pending" {
			return *n.Extraction
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: extraction still pending after %s", path, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// hitWithMark returns the snippets of path in r, and whether one of them
// highlights a match.
func hitWithMark(r searchResult, path string) ([]string, bool) {
	for _, h := range r.Hits {
		if h.Path == path {
			return h.Snippets, strings.Contains(strings.Join(h.Snippets, ""), "<mark>")
		}
	}
	return nil, false
}

// gen unwraps a generator's result.
func gen(t *testing.T) func([]byte, error) []byte {
	return func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// TestSearchFormats uploads one real document of every supported format
// to the real server, each with its own French phrase, and finds each by
// that phrase through the search API, with a highlighted snippet.
func TestSearchFormats(t *testing.T) {
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	c.call("POST", "/api/v1/folders/Formats", nil, nil)
	g := gen(t)
	docs := []struct {
		name, phrase, extractor string
		data                    []byte
	}{
		{"rapport.pdf", "rapport moral de la présidente", "pdf/pdftotext",
			g(testdocs.PDF("Le rapport moral de la présidente est adopté.\nLes comptes de l'exercice sont approuvés.", "Page 2 : questions diverses."))},
		{"convocation.docx", "convocation à l'assemblée extraordinaire", "docx", g(testdocs.DOCX("convocation à l'assemblée extraordinaire"))},
		{"cotisations.xlsx", "cotisations des adhérents bienfaiteurs", "xlsx", g(testdocs.XLSX("cotisations des adhérents bienfaiteurs"))},
		{"jardin.pptx", "projet de jardin partagé", "pptx", g(testdocs.PPTX("projet de jardin partagé"))},
		{"reglement.odt", "règlement intérieur du club de randonnée", "odt", g(testdocs.ODT("règlement intérieur du club de randonnée"))},
		{"inventaire.ods", "inventaire du matériel de camping", "ods", g(testdocs.ODS("inventaire du matériel de camping"))},
		{"fete.odp", "bilan de la fête des voisins", "odp", g(testdocs.ODP("bilan de la fête des voisins"))},
		{"horaires.html", "horaires d'ouverture de la bibliothèque", "html", g(testdocs.HTML("horaires d'ouverture de la bibliothèque"))},
		{"ordre-du-jour.md", "ordre du jour du conseil d'administration", "markdown", testdocs.Markdown("ordre du jour du conseil d'administration")},
		{"chapelle.txt", "rénovation de la chapelle Saint-Étienne", "text", g(testdocs.TextCP1252("rénovation de la chapelle Saint-Étienne"))},
		{"frais.csv", "remboursement des frais de déplacement", "csv", g(testdocs.CSV("remboursement des frais de déplacement"))},
		{"sortie.eml", "sortie au musée des beaux-arts", "eml", testdocs.EML("sortie au musée des beaux-arts")},
		{"petanque.rtf", "tournoi de pétanque intercommunal", "rtf", testdocs.RTF("tournoi de pétanque intercommunal")},
		{"affiche.png", "Kermesse annuelle du quartier", "image/tesseract", g(testdocs.ScanPNG("Kermesse annuelle du quartier"))},
		{"tract-scanne.pdf", "Brocante solidaire du printemps", "pdf/pdftotext+tesseract", g(testdocs.ScannedPDF("Brocante solidaire du printemps"))},
	}
	start := time.Now()
	for _, d := range docs {
		if st, _ := c.put("/Formats/"+d.name, d.data); st != 201 {
			t.Fatalf("upload %s: status %d", d.name, st)
		}
	}
	for _, d := range docs {
		t.Run(d.name, func(t *testing.T) {
			path := "/Formats/" + d.name
			e := waitExtracted(t, c, path, 90*time.Second)
			t.Logf("%s: %+v after %s", d.name, e, time.Since(start).Round(time.Millisecond))
			if e.Status != "ok" || e.Extractor != d.extractor || e.Chars == 0 || e.Truncated {
				t.Errorf("extraction %+v, want ok by %s", e, d.extractor)
			}
			r := waitFound(t, c, `"`+d.phrase+`"`, path)
			if snips, ok := hitWithMark(r, path); !ok {
				t.Errorf("no <mark> in the snippets of %s: %q", path, snips)
			}
			if r.Total != 1 {
				t.Errorf("%q matches %d documents, want only %s: %+v", d.phrase, r.Total, path, r.Hits)
			}
		})
	}

	// What the formats must not index: HTML's head, script, style and
	// noscript and RTF's \info (all say "hidden"), DOCX field codes,
	// ODT tracked deletions, a mail's duplicate HTML part and its
	// attachments' bodies. Attachment names are indexed.
	for _, q := range []string{"hidden", "hyperlink", "supprimé", "marker", "JVBERi0xLjQK"} {
		if st, r := c.search(q); st != 200 || r.Total != 0 {
			t.Errorf("search %q: status %d, %d hits %+v; hidden text was indexed", q, st, r.Total, r.Hits)
		}
	}
	waitFound(t, c, `"rapport financier détaillé"`, "/Formats/sortie.eml")
	t.Logf("all %d formats found in %s", len(docs), time.Since(start).Round(time.Millisecond))
}
