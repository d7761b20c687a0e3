package preview

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"notreasso/internal/filetype"
)

// Tools looks up the external programs previews use; "" when missing.
type Tools struct {
	Soffice  string // LibreOffice: office documents as PDF
	PDFToPPM string // poppler: PDF pages as images
	PDFInfo  string // poppler: page count
}

// FindTools looks the programs up on PATH.
func FindTools() Tools {
	look := func(name string) string {
		p, _ := exec.LookPath(name)
		return p
	}
	return Tools{Soffice: look("soffice"), PDFToPPM: look("pdftoppm"), PDFInfo: look("pdfinfo")}
}

// run runs a tool, killing it when ctx ends, and explains a failure with
// the end of its stderr.
func run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 300 {
			msg = msg[len(msg)-300:]
		}
		return fmt.Errorf("%s: %w: %s", filepath.Base(name), err, msg)
	}
	return nil
}

// pdfThumb renders the first page of a PDF to fit size×size.
func pdfThumb(ctx context.Context, in, out string, size int) (Result, error) {
	t := FindTools()
	if t.PDFToPPM == "" {
		return Result{}, none("pdftoppm is not installed")
	}
	prefix := out + ".page"
	if err := run(ctx, t.PDFToPPM, "-f", "1", "-l", "1", "-singlefile", "-scale-to", strconv.Itoa(size), "-jpeg", "-jpegopt", "quality=82", in, prefix); err != nil {
		if ctx.Err() != nil {
			return Result{}, err
		}
		return Result{}, none("unreadable PDF: %v", err)
	}
	if err := os.Rename(prefix+".jpg", out); err != nil {
		return Result{}, none("the PDF has no page")
	}
	res := Result{Mime: "image/jpeg", Pages: pdfPages(ctx, t, in)}
	res.Width, res.Height = imageSize(out)
	return res, nil
}

// pdfPage renders page n of a PDF as a PNG width pixels wide.
func pdfPage(ctx context.Context, in, out string, n, width int) (Result, error) {
	t := FindTools()
	if t.PDFToPPM == "" {
		return Result{}, none("pdftoppm is not installed")
	}
	pages := pdfPages(ctx, t, in)
	if n < 1 || (pages > 0 && n > pages) {
		return Result{}, none("no page %d", n)
	}
	prefix := out + ".page"
	p := strconv.Itoa(n)
	if err := run(ctx, t.PDFToPPM, "-f", p, "-l", p, "-singlefile", "-scale-to-x", strconv.Itoa(width), "-scale-to-y", "-1", "-png", in, prefix); err != nil {
		if ctx.Err() != nil {
			return Result{}, err
		}
		return Result{}, none("unreadable PDF: %v", err)
	}
	if err := os.Rename(prefix+".png", out); err != nil {
		return Result{}, none("no page %d", n)
	}
	res := Result{Mime: "image/png", Pages: pages}
	res.Width, res.Height = imageSize(out)
	return res, nil
}

// pdfPages counts a PDF's pages with pdfinfo (0 if unknown).
func pdfPages(ctx context.Context, t Tools, in string) int {
	if t.PDFInfo == "" {
		return 0
	}
	cmd := exec.CommandContext(ctx, t.PDFInfo, in)
	cmd.WaitDelay = time.Second
	outb, err := cmd.Output()
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(outb))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Pages:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(rest))
			return n
		}
	}
	return 0
}

func imageSize(name string) (int, int) {
	f, err := os.Open(name)
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(bufio.NewReader(f))
	if err != nil {
		return 0, 0
	}
	return cfg.Width, cfg.Height
}

// officePDF converts an office document to PDF with LibreOffice headless,
// with a profile of its own in the child's temporary directory (a fresh
// profile costs a few hundred milliseconds and shares nothing between
// conversions). LibreOffice picks its import filter from the extension, so
// the input is linked under its own name first.
func officePDF(ctx context.Context, in, out, name string) (Result, error) {
	t := FindTools()
	if t.Soffice == "" {
		return Result{}, none("LibreOffice is not installed")
	}
	work, err := os.MkdirTemp(filepath.Dir(out), "office-*")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(work)
	ext := filetype.Ext(name)
	if ext == "" {
		return Result{}, none("no file extension to choose an import filter")
	}
	src := filepath.Join(work, "document."+ext)
	if err := os.Symlink(in, src); err != nil {
		return Result{}, err
	}
	outDir := filepath.Join(work, "out")
	profile := "file://" + filepath.Join(work, "profile")
	err = run(ctx, t.Soffice, "--headless", "--norestore", "--nolockcheck", "--nologo", "--nodefault",
		"-env:UserInstallation="+profile, "--convert-to", "pdf", "--outdir", outDir, src)
	if err != nil {
		return Result{}, err
	}
	pdf := filepath.Join(outDir, "document.pdf")
	st, err := os.Stat(pdf)
	if errors.Is(err, os.ErrNotExist) || (err == nil && st.Size() == 0) {
		// LibreOffice exits 0 and writes nothing for a file it cannot read.
		return Result{}, none("LibreOffice could not read the document")
	}
	if err != nil {
		return Result{}, err
	}
	if err := os.Rename(pdf, out); err != nil {
		return Result{}, err
	}
	return Result{Mime: "application/pdf", Pages: pdfPages(ctx, FindTools(), out)}, nil
}
