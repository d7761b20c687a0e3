// Package preview makes what people look at before they download a file:
// thumbnails of images, PDFs and office documents, office documents as
// PDF (LibreOffice), PDF pages as images (pdftoppm), and the first rows of
// spreadsheets and CSV files as tables.
//
// Rendering runs in a child process (`notreasso preview …`, WorkerMain)
// with a time and a memory limit, like text extraction: image decoders,
// LibreOffice and poppler meet hostile files. The results are cached by
// the source's content hash through internal/repo, as blobs of their own.
// Worker (worker.go) is the background job that renders what uploads
// bring, one LibreOffice conversion at a time.
package preview

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"notreasso/indexer/extract"
)

// Operations of the child.
const (
	OpThumb = "thumb" // an image or a PDF's first page, scaled to fit Size×Size
	OpPDF   = "pdf"   // an office document converted to PDF by LibreOffice
	OpPage  = "page"  // page Page of a PDF as a PNG Size pixels wide
	OpTable = "table" // the first rows of a CSV, XLSX or ODS file as JSON (Table)
)

// Result is what the child reports on its last stdout line.
type Result struct {
	Status string `json:"status"` // ok, none (nothing to show) or failed
	Reason string `json:"reason,omitempty"`
	Mime   string `json:"mime,omitempty"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	Pages  int    `json:"pages,omitempty"`
}

const resultPrefix = "preview-result: "

// Job is one rendering asked of the child.
type Job struct {
	Op   string
	Mime string // of the input
	Name string // of the input (its extension picks the reader)
	Size int    // thumbnail box or page width, pixels
	Page int    // OpPage: 1-based
}

// errNone marks an input that has nothing to show (status none, not a
// failure): unsupported, too large, unreadable.
type errNone struct{ reason string }

func (e errNone) Error() string { return e.reason }

func none(format string, args ...any) error { return errNone{fmt.Sprintf(format, args...)} }

// WorkerMain is the child's entry point: flags, then IN and OUT paths. It
// writes the rendering to OUT and a "preview-result: {json}" line to
// stdout, and returns the exit code (0 when a Result was written).
func WorkerMain(args []string, stdout, stderr io.Writer) (code int) {
	fs := flag.NewFlagSet("preview", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var j Job
	var lim Limits
	fs.StringVar(&j.Op, "op", "", "thumb, pdf, page or table")
	fs.StringVar(&j.Mime, "mime", "", "MIME type of the input")
	fs.StringVar(&j.Name, "name", "", "file name of the input")
	fs.IntVar(&j.Size, "size", ThumbSize, "thumbnail box or page width in pixels")
	fs.IntVar(&j.Page, "page", 1, "page number")
	fs.DurationVar(&lim.Timeout, "timeout", DefaultTimeout, "time limit")
	fs.Int64Var(&lim.MaxMemory, "max-memory", DefaultMaxMemory, "memory limit in bytes")
	fs.Int64Var(&lim.MaxPixels, "max-pixels", DefaultMaxPixels, "largest image decoded, in pixels")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 2 {
		fmt.Fprintln(stderr, "usage: preview [flags] IN OUT")
		return 2
	}
	res := Result{Status: "failed"}
	defer func() {
		if p := recover(); p != nil {
			res = Result{Status: "failed", Reason: fmt.Sprintf("renderer panic: %v", p)}
		}
		line, _ := json.Marshal(res)
		fmt.Fprintf(stdout, "\n%s%s\n", resultPrefix, line)
		code = 0
	}()
	if err := extract.LimitChildMemory(lim.MaxMemory); err != nil {
		fmt.Fprintf(stderr, "preview worker: memory limit not applied: %v\n", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), lim.Timeout)
	defer cancel()
	var err error
	res, err = Render(ctx, j, fs.Arg(0), fs.Arg(1), lim)
	var n errNone
	switch {
	case errors.As(err, &n):
		res = Result{Status: "none", Reason: n.reason}
	case ctx.Err() != nil:
		res = Result{Status: "failed", Reason: fmt.Sprintf("timeout after %s", lim.Timeout)}
	case err != nil:
		res = Result{Status: "failed", Reason: err.Error()}
	default:
		res.Status = "ok"
	}
	if res.Status != "ok" {
		os.Remove(fs.Arg(1))
	}
	return 0
}

// Render does one job in this process: call it only in a child (it may
// use much memory, and its external programs are bounded by ctx only).
func Render(ctx context.Context, j Job, in, out string, lim Limits) (Result, error) {
	lim = lim.withDefaults()
	switch j.Op {
	case OpThumb:
		if IsPDF(j.Mime, j.Name) {
			return pdfThumb(ctx, in, out, j.Size)
		}
		return imageThumb(in, out, j.Size, lim.MaxPixels)
	case OpPDF:
		return officePDF(ctx, in, out, j.Name)
	case OpPage:
		return pdfPage(ctx, in, out, j.Page, j.Size)
	case OpTable:
		return table(in, out, j.Mime, j.Name)
	}
	return Result{}, fmt.Errorf("unknown operation %q", j.Op)
}

// Limits bound one rendering.
type Limits struct {
	Timeout   time.Duration
	MaxMemory int64
	MaxPixels int64
}

// Defaults of Limits and sizes.
const (
	DefaultTimeout   = 60 * time.Second
	DefaultMaxMemory = 1 << 30
	// DefaultMaxPixels: 100 megapixels, a large camera's photo; a decoded
	// RGBA image of that size takes 400 MB.
	DefaultMaxPixels = 100_000_000
	// ThumbSize is the box thumbnails fit in: a grid tile at twice the
	// pixel density of an ordinary screen.
	ThumbSize = 320
	// PageWidth is the width of page images: legible on a phone, which
	// scales it down, and on a laptop.
	PageWidth = 1100
)

func (l Limits) withDefaults() Limits {
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	if l.MaxMemory <= 0 {
		l.MaxMemory = DefaultMaxMemory
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultMaxPixels
	}
	return l
}
