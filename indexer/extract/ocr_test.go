package extract

import (
	"bytes"
	"context"
	"notreasso/internal/testutil/tier"
	"os/exec"
	"strings"
	"testing"
	"time"

	"notreasso/indexer/extract/testdocs"
)

// ocrFound checks OCR output loosely: the words that matter, in any case,
// whatever apostrophe tesseract chose.
func ocrFound(t *testing.T, text string) {
	t.Helper()
	norm := strings.ToLower(strings.ReplaceAll(text, "’", "'"))
	for _, w := range []string{"procès-verbal", "l'assemblée", "générale"} {
		if !strings.Contains(norm, w) {
			t.Errorf("OCR text lacks %q: %q", w, text)
		}
	}
}

// TestOCR OCRs a PNG image and a scanned (image-only) PDF. Both are made
// by rendering a generated PDF with poppler.
func TestOCR(t *testing.T) {
	tier.Tool(t, "tesseract", "tesseract-ocr")
	tier.Tool(t, "pdftoppm", "poppler-utils")
	tier.Tool(t, "pdftotext", "poppler-utils")
	if out, _ := exec.Command(tesseractPath(), "--list-langs").CombinedOutput(); !bytes.Contains(out, []byte("\nfra")) {
		t.Fatal("tesseract lacks the French language data: install tesseract-ocr-fra (.ci/run does)")
	}
	isolatedTempDir(t)

	t.Run("png", func(t *testing.T) {
		png := must(t)(testdocs.ScanPNG("Le " + phrase))
		var out bytes.Buffer
		start := time.Now()
		res, err := Extract(context.Background(), bytes.NewReader(png), int64(len(png)), "image/png", "scan.png", &out, Limits{})
		t.Logf("%+v in %s: %q", res, time.Since(start).Round(time.Millisecond), out.String())
		if err != nil || res.Status != StatusOK || res.Extractor != "image/tesseract" {
			t.Fatalf("%+v, %v", res, err)
		}
		ocrFound(t, out.String())
	})

	t.Run("scanned pdf", func(t *testing.T) {
		scan := writeFile(t, "scan.pdf", must(t)(testdocs.ScannedPDF("Le "+phrase)))
		text, res, took := runWorker(t, scan, "application/pdf", Limits{})
		t.Logf("%+v in %s: %q", res, took.Round(time.Millisecond), text)
		if res.Status != StatusOK || res.Extractor != "pdf/pdftotext+tesseract" {
			t.Fatalf("%+v", res)
		}
		ocrFound(t, text)

		// Without external tools the text layer is all there is: empty.
		_, res, _ = runWorker(t, scan, "application/pdf", Limits{NoExternalTools: true})
		if res.Status != StatusEmpty {
			t.Errorf("without OCR: %+v, want empty", res)
		}
	})

	t.Run("images unsupported without tools", func(t *testing.T) {
		res, err := Extract(context.Background(), strings.NewReader("x"), 1, "image/png", "a.png", &bytes.Buffer{}, Limits{NoExternalTools: true})
		if err != nil || res.Status != StatusUnsupported {
			t.Errorf("%+v, %v; want unsupported", res, err)
		}
	})
}
