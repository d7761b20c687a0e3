package extract

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
)

// OCR settings. 300 dpi is what tesseract is trained for; the page cap
// keeps a 500-page scan from occupying a worker for an hour.
const (
	ocrDPI      = 300
	ocrMaxPages = 20
)

// ocrAvailable reports whether images can be OCRed.
func ocrAvailable(lim Limits) bool {
	return !lim.NoExternalTools && tesseractPath() != ""
}

// pdfOCRAvailable reports whether a PDF without a text layer can be OCRed:
// pages are rendered by pdftoppm, which needs the file's path.
func pdfOCRAvailable(j *job) bool {
	return j.path != "" && ocrAvailable(j.lim) && pdftoppmPath() != ""
}

func ocrLanguages(lim Limits) (string, error) {
	if !ocrLanguagesPattern.MatchString(lim.OCRLanguages) {
		return "", fmt.Errorf("ocr: invalid language list %q", lim.OCRLanguages)
	}
	return lim.OCRLanguages, nil
}

// extractImage OCRs a PNG, JPEG or TIFF image, fed to tesseract on stdin.
func extractImage(j *job) error {
	if !ocrAvailable(j.lim) {
		return fmt.Errorf("%w: OCR needs tesseract", errUnsupported)
	}
	j.res.Extractor = "image/tesseract"
	langs, err := ocrLanguages(j.lim)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(j.ctx, tesseractPath(), "stdin", "stdout", "-l", langs)
	cmd.Stdin = j.section()
	return runTool(j, cmd)
}

// ocrPDF renders the first ocrMaxPages pages with pdftoppm into a
// temporary directory and OCRs them one by one. Under RunIsolated the
// directory lives in the worker's own TMPDIR, which the parent removes
// even when it had to kill the worker.
func ocrPDF(j *job) error {
	langs, err := ocrLanguages(j.lim)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "extract-ocr-*")
	if err != nil {
		return fmt.Errorf("ocr: %w", err)
	}
	defer os.RemoveAll(dir)
	render := exec.CommandContext(j.ctx, pdftoppmPath(), "-r", strconv.Itoa(ocrDPI), "-gray", "-png",
		"-l", strconv.Itoa(ocrMaxPages), j.path, filepath.Join(dir, "page"))
	if out, err := render.CombinedOutput(); err != nil {
		if j.ctx.Err() != nil {
			return j.ctx.Err()
		}
		return fmt.Errorf("ocr: pdftoppm: %w: %s", err, out)
	}
	pages, err := filepath.Glob(filepath.Join(dir, "page*.png"))
	if err != nil {
		return fmt.Errorf("ocr: %w", err)
	}
	slices.Sort(pages) // pdftoppm zero-pads page numbers, so names sort in page order
	for _, page := range pages {
		cmd := exec.CommandContext(j.ctx, tesseractPath(), page, "stdout", "-l", langs)
		if err := runTool(j, cmd); err != nil {
			return fmt.Errorf("ocr: %w", err)
		}
		if err := j.out.Break(); err != nil {
			return err
		}
	}
	return nil
}
