package indexer

import (
	"context"

	"fmt"
	"io"
	"os"
	"strings"

	"notreasso/indexer/extract"
	"notreasso/internal/repo"
)

// maxAttempts bounds retries of a failed extraction (a crash may be
// transient: memory pressure, a killed worker).
const maxAttempts = 3

// isolated reports whether a format's parser must run in a child process:
// PDF parsers can loop forever or panic on crafted files, and OCR runs
// external programs. Text, HTML, mail and zip-based formats are streaming
// parsers with hard limits and run in process (a child per document would
// cap bulk indexing at a few hundred documents per second).
func isolated(mime, name string) bool {
	n := strings.ToLower(name)
	return mime == "application/pdf" || strings.HasSuffix(n, ".pdf") || strings.HasPrefix(mime, "image/")
}

// ensureText makes sure the text of a file's current content is stored
// (by this server or another one) and returns its extraction record. e is the record read
// before, if ok.
func (x *Indexer) ensureText(ctx context.Context, n repo.IndexNode, e repo.Extraction, ok bool) (repo.Extraction, error) {
	if n.Hash == "" {
		return repo.Extraction{Status: string(extract.StatusEmpty)}, nil
	}
	if x.usable(ctx, n, e, ok) {
		return e, nil
	}
	// Not extracted yet, a failure worth retrying, a record whose text
	// is gone (texts are not in backups), or one made before extractions
	// read the document's title and date: extract again.
	prev, had := e, ok
	e = repo.Extraction{Blob: n.Hash}
	if !extract.Supported(n.Mime, n.Name) {
		e.Status, e.Reason = string(extract.StatusUnsupported), "no extractor for "+n.Mime
		return e, x.repo.Index.PutExtraction(ctx, e)
	}
	// Servers sharing the database extract a content once: another one
	// may be at it, or have just finished.
	if rec, done, err := x.claim(ctx, n); err != nil {
		return e, err
	} else if done {
		return rec, nil
	}
	defer x.repo.Index.ReleaseExtraction(context.WithoutCancel(ctx), n.Hash, x.node())
	res, chars, err := x.extract(ctx, n)
	x.metrics.extracted(formatOf(n))
	if err != nil {
		if ctx.Err() != nil {
			return e, ctx.Err()
		}
		res = extract.Result{Status: extract.StatusFailed, Reason: err.Error()}
	}
	if res.Status == extract.StatusFailed {
		x.metrics.extractionFailed(formatOf(n))
		x.log.Warn("extraction failed", "path", n.Path, "blob", n.Hash, "reason", res.Reason)
	}
	e.Status, e.Reason, e.Lang, e.Chars, e.Extractor, e.Truncated = string(res.Status), res.Reason, res.Lang, chars, res.Extractor, res.Truncated
	e.Title, e.Date, e.Props = res.Title, res.Date, true
	if had && e.Status == string(extract.StatusOK) && sameExtraction(prev, e) {
		// A lost text file extracted again to the same result: the record
		// stands (a write per document would slow a rebuild by a tenth).
		return prev, nil
	}
	return e, x.repo.Index.PutExtraction(ctx, e)
}

// usable reports whether the extraction record e (if ok) of n's content
// stands: not a failure worth retrying, with its text stored, and made
// since extractions read titles and dates.
func (x *Indexer) usable(ctx context.Context, n repo.IndexNode, e repo.Extraction, ok bool) bool {
	return ok && (e.Status != string(extract.StatusFailed) || e.Attempts >= maxAttempts) &&
		(e.Status != string(extract.StatusOK) || x.texts.has(ctx, n.Hash)) &&
		(e.Props || e.Status != string(extract.StatusOK) || !hasProps(n.Mime, n.Name))
}

// sameExtraction reports whether two records of one blob say the same.
func sameExtraction(a, b repo.Extraction) bool {
	return a.Status == b.Status && a.Reason == b.Reason && a.Lang == b.Lang && a.Chars == b.Chars &&
		a.Extractor == b.Extractor && a.Truncated == b.Truncated &&
		a.Title == b.Title && a.Date.Equal(b.Date) && a.Props == b.Props
}

// hasProps reports whether a format carries a title or date that
// extraction reads (extract's props.go, a first heading: heading.go).
func hasProps(mime, name string) bool {
	switch formatOf(repo.IndexNode{Mime: mime, Name: name}) {
	case "pdf", "ooxml", "odf", "email", "html":
		return true
	case "text":
		n := strings.ToLower(name)
		return mime == "text/markdown" || strings.HasSuffix(n, ".md") || strings.HasSuffix(n, ".markdown")
	}
	return false
}

// extract runs the extractor on the blob and stores the text.
func (x *Indexer) extract(ctx context.Context, n repo.IndexNode) (extract.Result, int64, error) {
	path, cleanup, err := x.localCopy(ctx, n.Hash)
	if err != nil {
		return extract.Result{}, 0, err
	}
	defer cleanup()
	out, err := x.texts.create()
	if err != nil {
		return extract.Result{}, 0, err
	}
	cw := &countingWriter{w: out}
	var res extract.Result
	if isolated(n.Mime, n.Name) {
		res, err = extract.RunIsolated(ctx, x.exe, []string{"extract"}, path, n.Mime, n.Name, cw, x.limits)
	} else {
		var f *os.File
		if f, err = os.Open(path); err == nil {
			res, err = extract.Extract(ctx, f, n.Size, n.Mime, n.Name, cw, x.limits)
			f.Close()
		}
	}
	if err != nil || res.Status != extract.StatusOK {
		out.Close()
		os.Remove(out.Name())
		return res, 0, err
	}
	return res, cw.n, x.texts.commit(ctx, out, n.Hash)
}

// localCopy gives a file path holding the blob: the blob itself for the
// local store, a temporary download otherwise.
func (x *Indexer) localCopy(ctx context.Context, hash string) (string, func(), error) {
	content := x.repo.Index.Content()
	if p, ok := content.LocalPath(hash); ok {
		return p, func() {}, nil
	}
	rc, err := content.Get(ctx, hash, 0, -1)
	if err != nil {
		return "", nil, fmt.Errorf("read blob %s: %w", hash, err)
	}
	defer rc.Close()
	f, err := os.CreateTemp(x.tmp, "blob-*")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.Remove(f.Name()) }
	_, err = io.Copy(f, rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("copy blob %s: %w", hash, err)
	}
	return f.Name(), cleanup, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// formatOf names a document's format family, a small fixed set so that
// metric labels stay bounded whatever extensions people use.
func formatOf(n repo.IndexNode) string {
	name, mime := strings.ToLower(n.Name), n.Mime
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		ext = name[i+1:]
	}
	switch {
	case ext == "pdf" || mime == "application/pdf":
		return "pdf"
	case ext == "docx" || ext == "xlsx" || ext == "pptx" || strings.Contains(mime, "openxmlformats"):
		return "ooxml"
	case ext == "odt" || ext == "ods" || ext == "odp" || strings.Contains(mime, "opendocument"):
		return "odf"
	case ext == "html" || ext == "htm" || mime == "text/html":
		return "html"
	case ext == "eml" || mime == "message/rfc822":
		return "email"
	case ext == "rtf" || mime == "application/rtf":
		return "rtf"
	case strings.HasPrefix(mime, "image/"):
		return "image"
	case strings.HasPrefix(mime, "text/"):
		return "text"
	}
	return "other"
}
