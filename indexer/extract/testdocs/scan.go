package testdocs

// Scans for OCR: a line of text rendered by poppler's pdftoppm (which must
// be on PATH), as a PNG image or as an image-only PDF.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"unicode/utf8"
)

// bannerSize is the page of a scanned line: 24 pt text needs about 13
// points per character.
func bannerSize(text string) (w, h int) { return max(520, 13*utf8.RuneCountInString(text)), 60 }

// ScanPNG is a 300 dpi grayscale PNG of text in 24 pt Helvetica, rendered
// with pdftoppm.
func ScanPNG(text string) ([]byte, error) {
	return renderBanner(text, "png")
}

// ScannedPDF is an image-only PDF (no text layer) whose page is a 300 dpi
// grayscale scan of text in 24 pt Helvetica, rendered with pdftoppm.
func ScannedPDF(text string) ([]byte, error) {
	pgm, err := renderBanner(text, "pgm")
	if err != nil {
		return nil, err
	}
	w, h, gray, err := parsePGM(pgm)
	if err != nil {
		return nil, err
	}
	pw, ph := bannerSize(text)
	return ImagePDF(pw, ph, w, h, gray), nil
}

func renderBanner(text, format string) ([]byte, error) {
	w, h := bannerSize(text)
	pdf, err := BannerPDF(w, h, text)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "testdocs-scan-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "banner.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		return nil, err
	}
	return Render(in, format, filepath.Join(dir, "page"))
}

// Render rasterises page 1 of the PDF file at path with pdftoppm at 300
// dpi in gray, as PNG (format "png") or raw 8-bit gray (format "pgm"),
// into prefix.format, and returns the image.
func Render(path, format, prefix string) ([]byte, error) {
	tool, err := exec.LookPath("pdftoppm")
	if err != nil {
		return nil, fmt.Errorf("rendering a scan needs pdftoppm (Debian package poppler-utils): %w", err)
	}
	args := []string{"-r", "300", "-gray", "-singlefile", path, prefix}
	if format == "png" {
		args = append([]string{"-png"}, args...)
	}
	if out, err := exec.Command(tool, args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pdftoppm: %v: %s", err, out)
	}
	return os.ReadFile(prefix + "." + format)
}

// parsePGM parses a binary PGM (P5) image with 8-bit samples.
func parsePGM(data []byte) (w, h int, gray []byte, err error) {
	var (
		magic  string
		maxVal int
	)
	r := bytes.NewReader(data)
	if _, err := fmt.Fscan(r, &magic, &w, &h, &maxVal); err != nil || magic != "P5" || maxVal != 255 {
		return 0, 0, nil, fmt.Errorf("not an 8-bit PGM: %v", err)
	}
	r.ReadByte() // the single whitespace before the samples
	gray = data[len(data)-r.Len():]
	if len(gray) != w*h {
		return 0, 0, nil, fmt.Errorf("PGM has %d samples, want %d", len(gray), w*h)
	}
	return w, h, gray, nil
}
