// Package extract turns documents into plain text for the full-text index.
//
// Extract streams the text of one document (PDF, DOCX, PPTX, XLSX, ODT, ODS,
// ODP, HTML, Markdown, plain text, CSV, e-mail, RTF and, when tesseract is
// installed, images) to an io.Writer as UTF-8, NFKC-normalised, with
// paragraphs separated by newlines. Nothing is held whole in memory: text
// files stream, archives are read entry by entry through zip-bomb guards,
// and the output stops at Limits.MaxTextBytes.
//
// Some parsers (notably github.com/ledongthuc/pdf) panic on malformed files
// and loop forever on crafted ones; a loop cannot be cancelled inside a Go
// process. Untrusted documents should therefore go through RunIsolated,
// which runs the extraction in a child process (the same binary, see
// WorkerMain) with a wall-clock timeout and a memory limit.
package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Status says what came out of an extraction.
type Status string

const (
	// StatusOK means text was extracted (possibly truncated).
	StatusOK Status = "ok"
	// StatusEmpty means the document was read but holds no text (for
	// example a scanned PDF when OCR is not available).
	StatusEmpty Status = "empty"
	// StatusUnsupported means no extractor handles this MIME type or name.
	StatusUnsupported Status = "unsupported"
	// StatusFailed means the document could not be read: malformed,
	// hostile (zip bomb, parser loop), too slow or too big. Reason says why.
	StatusFailed Status = "failed"
)

// Limits bound the resources one extraction may use. A zero field means
// the default documented beside it.
type Limits struct {
	// MaxTextBytes caps the text written to w; past it the output stops at
	// a rune boundary and Result.Truncated is set. Default 10 MiB.
	MaxTextBytes int64
	// MaxZipEntries caps the number of entries of an OOXML/ODF archive,
	// checked before the central directory is parsed. Default 10 000.
	MaxZipEntries int
	// MaxZipTotal caps the bytes actually decompressed from one archive,
	// all entries together. Default 256 MiB.
	MaxZipTotal int64
	// MaxZipRatio caps decompressed/compressed bytes of an entry, measured
	// on the bytes really read once an entry has produced 1 MiB. Default 200.
	MaxZipRatio float64
	// Timeout bounds the whole extraction. Default 60 s. In process
	// (Extract) a parser stuck in a loop is abandoned, not stopped; only
	// RunIsolated really stops it.
	Timeout time.Duration
	// MaxMemory bounds the worker process of RunIsolated (Go memory limit
	// plus RLIMIT_AS on Linux). Ignored by Extract. Default 1 GiB.
	MaxMemory int64
	// OCRLanguages is passed to tesseract -l. Default "fra+eng".
	OCRLanguages string
	// NoExternalTools forbids running pdftotext, pdftoppm and tesseract
	// even when they are on PATH: PDFs then use the pure Go parser and
	// images are unsupported.
	NoExternalTools bool
}

// Default limits; see Limits.
const (
	DefaultMaxTextBytes  = 10 << 20
	DefaultMaxZipEntries = 10_000
	DefaultMaxZipTotal   = 256 << 20
	DefaultMaxZipRatio   = 200
	DefaultTimeout       = 60 * time.Second
	DefaultMaxMemory     = 1 << 30
	DefaultOCRLanguages  = "fra+eng"
)

// withDefaults returns lim with every zero field set to its default.
func (lim Limits) withDefaults() Limits {
	if lim.MaxTextBytes <= 0 {
		lim.MaxTextBytes = DefaultMaxTextBytes
	}
	if lim.MaxZipEntries <= 0 {
		lim.MaxZipEntries = DefaultMaxZipEntries
	}
	if lim.MaxZipTotal <= 0 {
		lim.MaxZipTotal = DefaultMaxZipTotal
	}
	if lim.MaxZipRatio <= 0 {
		lim.MaxZipRatio = DefaultMaxZipRatio
	}
	if lim.Timeout <= 0 {
		lim.Timeout = DefaultTimeout
	}
	if lim.MaxMemory <= 0 {
		lim.MaxMemory = DefaultMaxMemory
	}
	if lim.OCRLanguages == "" {
		lim.OCRLanguages = DefaultOCRLanguages
	}
	return lim
}

// Result describes an extraction. It is also the JSON the worker process
// reports to RunIsolated.
type Result struct {
	Status    Status `json:"status"`
	Reason    string `json:"reason,omitempty"`    // why failed/unsupported/empty, or a note
	Lang      string `json:"lang,omitempty"`      // "fr", "en" or "" (see DetectLang)
	Truncated bool   `json:"truncated,omitempty"` // output stopped at MaxTextBytes
	Extractor string `json:"extractor,omitempty"` // e.g. "docx", "pdf/pdftotext", "image/tesseract"
	// The document's own properties, when it has them (props.go): its
	// title (PDF /Title, office dc:title, e-mail Subject) and the date it
	// was written (PDF CreationDate or ModDate, office created or
	// modified, e-mail Date), in UTC.
	Title string    `json:"title,omitempty"`
	Date  time.Time `json:"date,omitzero"`
}

// format is one entry of the registry: a family of documents and its
// extractor. Lookup is by MIME type first, then by file extension.
type format struct {
	name    string
	mimes   []string
	exts    []string
	extract func(j *job) error
	// available reports whether the tools the format needs exist; nil
	// means always.
	available func(lim Limits) bool
}

// formats is the registry. Each extractor lives in its own file.
var formats = []format{
	{name: "pdf", mimes: []string{"application/pdf", "application/x-pdf"}, exts: []string{".pdf"}, extract: extractPDF},
	{name: "docx", mimes: []string{
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"application/vnd.openxmlformats-officedocument.wordprocessingml.template",
		"application/vnd.ms-word.document.macroenabled.12",
	}, exts: []string{".docx", ".dotx", ".docm"}, extract: extractDOCX},
	{name: "pptx", mimes: []string{
		"application/vnd.openxmlformats-officedocument.presentationml.presentation",
		"application/vnd.openxmlformats-officedocument.presentationml.slideshow",
	}, exts: []string{".pptx", ".ppsx"}, extract: extractPPTX},
	{name: "xlsx", mimes: []string{
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"application/vnd.ms-excel.sheet.macroenabled.12",
	}, exts: []string{".xlsx", ".xlsm"}, extract: extractXLSX},
	{name: "odt", mimes: []string{"application/vnd.oasis.opendocument.text"}, exts: []string{".odt", ".ott"}, extract: extractODF},
	{name: "ods", mimes: []string{"application/vnd.oasis.opendocument.spreadsheet"}, exts: []string{".ods", ".ots"}, extract: extractODF},
	{name: "odp", mimes: []string{"application/vnd.oasis.opendocument.presentation"}, exts: []string{".odp", ".otp"}, extract: extractODF},
	{name: "html", mimes: []string{"text/html", "application/xhtml+xml"}, exts: []string{".html", ".htm", ".xhtml"}, extract: extractHTML},
	{name: "markdown", mimes: []string{"text/markdown", "text/x-markdown"}, exts: []string{".md", ".markdown"}, extract: extractPlainText},
	{name: "csv", mimes: []string{"text/csv", "application/csv", "text/tab-separated-values"}, exts: []string{".csv", ".tsv"}, extract: extractCSV},
	{name: "text", mimes: []string{"text/plain"}, exts: []string{".txt", ".text", ".log"}, extract: extractPlainText},
	{name: "eml", mimes: []string{"message/rfc822"}, exts: []string{".eml"}, extract: extractMail},
	{name: "rtf", mimes: []string{"application/rtf", "text/rtf"}, exts: []string{".rtf"}, extract: extractRTF},
	{name: "image", mimes: []string{"image/png", "image/jpeg", "image/tiff"}, exts: []string{".png", ".jpg", ".jpeg", ".tif", ".tiff"},
		extract: extractImage, available: ocrAvailable},
}

// lookup finds the format for a MIME type, falling back to the file
// extension when the MIME type is missing, generic or unknown (browsers
// send application/octet-stream, Windows sends CSV as vnd.ms-excel).
func lookup(mimeType, name string, lim Limits) (*format, map[string]string) {
	mediaType, params, err := mime.ParseMediaType(mimeType)
	if err != nil {
		mediaType = strings.ToLower(strings.TrimSpace(mimeType))
	}
	ext := strings.ToLower(filepath.Ext(name))
	var byExt *format
	for i := range formats {
		f := &formats[i]
		if f.available != nil && !f.available(lim) {
			continue
		}
		for _, m := range f.mimes {
			if m == mediaType {
				return f, params
			}
		}
		for _, e := range f.exts {
			if e == ext && byExt == nil {
				byExt = f
			}
		}
	}
	return byExt, params
}

// Supported reports whether Extract has an extractor for this MIME type
// or, failing that, this file name's extension. Images count only when
// tesseract is on PATH.
func Supported(mimeType, name string) bool {
	f, _ := lookup(mimeType, name, Limits{}.withDefaults())
	return f != nil
}

// job is what an extractor gets: the input, where to write, and the limits.
type job struct {
	ctx    context.Context
	r      io.ReaderAt
	size   int64
	path   string            // file path when known (needed by pdftotext, pdftoppm)
	params map[string]string // MIME parameters, e.g. charset
	mime   string
	name   string
	lim    Limits
	out    *sink
	res    *Result
	parts  int // MIME entities of an e-mail seen so far (see maxMailParts)
	// heading is the document's first heading, its title when its
	// properties give none (heading.go).
	heading headingText
}

// section returns the whole input as a fresh sequential reader.
func (j *job) section() *io.SectionReader { return io.NewSectionReader(j.r, 0, j.size) }

// errUnsupported makes an extractor report StatusUnsupported.
var errUnsupported = errors.New("unsupported document")

// Extract writes the document's plain text (UTF-8, NFKC-normalised,
// paragraphs separated by newlines) to w.
//
// mime is the document's MIME type (parameters such as charset are used);
// name is its file name, used when mime is unknown. If r is an *os.File its
// path lets PDFs use pdftotext. A document problem (malformed, hostile,
// timeout, unsupported) is reported in Result with a nil error; the error
// is non-nil only when ctx was cancelled or writing to w failed. On failure
// w may already hold part of the text.
//
// Extract recovers parser panics, but a parser looping forever can only be
// abandoned at lim.Timeout (its goroutine keeps running): use RunIsolated
// for untrusted documents.
func Extract(ctx context.Context, r io.ReaderAt, size int64, mime, name string, w io.Writer, lim Limits) (Result, error) {
	lim = lim.withDefaults()
	f, params := lookup(mime, name, lim)
	if f == nil {
		return Result{Status: StatusUnsupported, Reason: fmt.Sprintf("no extractor for %q (%s)", name, mime)}, nil
	}
	runCtx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()

	// The extractor fills its own Result; it is read only once the
	// extractor is done, since an abandoned one may still write to it.
	res, jobRes := Result{Extractor: f.name}, &Result{Extractor: f.name}
	out := newSink(runCtx, w, lim.MaxTextBytes)
	j := &job{ctx: runCtx, r: r, size: size, params: params, mime: mime, name: name, lim: lim, out: out, res: jobRes}
	if file, ok := r.(*os.File); ok {
		// Absolute, so that a name starting with "-" cannot pass for an
		// option of pdftotext or pdftoppm.
		if abs, err := filepath.Abs(file.Name()); err == nil {
			j.path = abs
		}
	}

	// The extractor runs in its own goroutine so that a parser stuck in a
	// loop can be abandoned at the deadline; the sink is then closed so a
	// late write cannot reach w.
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("parser panic: %v", p)
			}
		}()
		err := f.extract(j)
		j.res.titleFromHeading(&j.heading)
		if err == nil {
			err = out.flush()
		}
		done <- err
	}()
	var err error
	select {
	case err = <-done:
		res = *jobRes
	case <-runCtx.Done():
		out.abandon()
		err = runCtx.Err()
	}
	out.abandon()
	res.Lang = DetectLang(out.sampleText())
	return classify(ctx, res, out, err, lim)
}

// classify turns an extractor's error into a Result and the error that
// Extract returns.
func classify(ctx context.Context, res Result, out *sink, err error, lim Limits) (Result, error) {
	var werr *outputError
	switch {
	case errors.As(err, &werr):
		res.Status, res.Reason = StatusFailed, werr.Error()
		return res, werr
	case ctx.Err() != nil:
		res.Status, res.Reason = StatusFailed, "cancelled"
		return res, fmt.Errorf("extract: %w", ctx.Err())
	case errors.Is(err, context.DeadlineExceeded):
		res.Status, res.Reason = StatusFailed, fmt.Sprintf("timeout after %s", lim.Timeout)
	case errors.Is(err, errUnsupported):
		res.Status, res.Reason = StatusUnsupported, err.Error()
	case errors.Is(err, errTruncated) || out.truncated():
		res.Status, res.Truncated = StatusOK, true
	case err != nil:
		res.Status, res.Reason = StatusFailed, err.Error()
	case !out.hasText():
		res.Status = StatusEmpty
		if res.Reason == "" {
			res.Reason = "no text found"
		}
	default:
		res.Status = StatusOK
	}
	return res, nil
}
