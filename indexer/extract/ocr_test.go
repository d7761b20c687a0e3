package extract

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// render rasterises page 1 of a PDF with pdftoppm at 300 dpi, as PNG or
// as raw 8-bit gray (PGM), and returns the image file's path.
func render(t *testing.T, pdfPath, format string) string {
	t.Helper()
	prefix := filepath.Join(t.TempDir(), "page")
	args := []string{"-r", "300", "-gray", "-singlefile", pdfPath, prefix}
	if format == "png" {
		args = append([]string{"-png"}, args...)
	}
	if out, err := exec.Command(pdftoppmPath(), args...).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	return prefix + "." + format
}

// readPGM parses a binary PGM (P5) image with 8-bit samples.
func readPGM(t *testing.T, path string) (w, h int, gray []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var (
		magic  string
		maxVal int
	)
	r := bytes.NewReader(data)
	if _, err := fmt.Fscan(r, &magic, &w, &h, &maxVal); err != nil || magic != "P5" || maxVal != 255 {
		t.Fatalf("not an 8-bit PGM: %v", err)
	}
	r.ReadByte() // the single whitespace before the samples
	gray = data[len(data)-r.Len():]
	if len(gray) != w*h {
		t.Fatalf("PGM has %d samples, want %d", len(gray), w*h)
	}
	return w, h, gray
}

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
	if tesseractPath() == "" || pdftoppmPath() == "" || pdftotextPath() == "" {
		t.Fatal("OCR needs tesseract (with the fra language) and poppler-utils: .ci/run installs them")
	}
	if out, _ := exec.Command(tesseractPath(), "--list-langs").CombinedOutput(); !bytes.Contains(out, []byte("\nfra")) {
		t.Fatal("tesseract lacks the French language data: install tesseract-ocr-fra (.ci/run does)")
	}
	isolatedTempDir(t)
	const pageW, pageH = 520, 60
	banner := writeFile(t, "banner.pdf", bannerPDF(t, pageW, pageH, "Le "+phrase))

	t.Run("png", func(t *testing.T) {
		png, err := os.ReadFile(render(t, banner, "png"))
		if err != nil {
			t.Fatal(err)
		}
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
		w, h, gray := readPGM(t, render(t, banner, "pgm"))
		scan := writeFile(t, "scan.pdf", imagePDF(pageW, pageH, w, h, gray))
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
