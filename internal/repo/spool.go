package repo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"notreasso/internal/ioctx"
	"notreasso/storage"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gabriel-vasile/mimetype"
)

const spoolPrefix = "spool-"

// copyBuffers are the spool's read buffers.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// sniffLen is how many leading bytes are kept for MIME detection.
const sniffLen = 3072

// spooled is an upload written to a temporary file, with what was learned
// while writing it.
type spooled struct {
	path string
	hash string
	size int64
	mime string
	// stream, if set, is the store's upload of the spool file, started
	// while it was written (storage.StreamPutter); storeBlob commits it.
	stream storage.StreamPut
	// inTx: the blob was leased and stored inside the transaction that
	// records the version (see storesInTx), so that transaction need not
	// check the lease again.
	inTx bool
	// verID and verNum name the version writeVersion recorded, at.
	verID  int64
	verNum int
	at     time.Time
}

// release removes the spool file (if the store did not take it) and gives
// up an uncommitted stream.
func (sp *spooled) release() {
	if sp.stream != nil {
		sp.stream.Abort() // no-op once committed
	}
	os.Remove(sp.path)
}

// progressWriter tells the store's stream how far the spool file is written.
type progressWriter struct {
	f      *os.File
	stream storage.StreamPut
	n      int64
}

func (w *progressWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.n += int64(n)
	w.stream.Written(w.n)
	return n, err
}

// startStream asks the store to upload the spool file while it is being
// written, when the store can and the size is known; nil otherwise.
func (s *core) startStream(ctx context.Context, path string, size int64) storage.StreamPut {
	sp, ok := s.blobs.(storage.StreamPutter)
	if !ok || size <= 0 {
		return nil
	}
	st, err := sp.StreamPut(ctx, path, size)
	if err != nil {
		// The plain Put after spooling still works.
		s.log.WarnContext(ctx, "cannot stream the upload to the store; sending it after it is received", "err", err)
		return nil
	}
	return st
}

// spool copies r into a temporary file while hashing it and keeping its
// first bytes for MIME detection: one pass, one write. A store that can
// (S3) uploads the file while it is written; the caller releases sp.
func (s *core) spool(ctx context.Context, r io.Reader, size int64, name string) (*spooled, error) {
	if size >= 0 && s.opts.MaxUpload > 0 && size > s.opts.MaxUpload {
		return nil, fmt.Errorf("%w: %d bytes announced, the limit is %d", ErrTooLarge, size, s.opts.MaxUpload)
	}
	f := s.takeSpare()
	if f == nil {
		var err error
		if f, err = os.CreateTemp(s.opts.SpoolDir, spoolPrefix+"*"); err != nil {
			return nil, fmt.Errorf("create spool file: %w", err)
		}
	}
	stream := s.startStream(ctx, f.Name(), size)
	ok := false
	defer func() {
		if !ok {
			if stream != nil {
				stream.Abort()
			}
			f.Close()
			os.Remove(f.Name())
		}
	}()
	var w io.Writer = f
	if stream != nil {
		w = &progressWriter{f: f, stream: stream}
	}
	h := sha256.New()
	head := &headBuffer{max: sniffLen}
	limit := int64(-1)
	switch {
	case size >= 0:
		limit = size + 1 // one more byte tells a body longer than announced
	case s.opts.MaxUpload > 0:
		limit = s.opts.MaxUpload + 1
	}
	src := io.Reader(ioctx.Reader(ctx, r))
	if limit >= 0 {
		src = io.LimitReader(src, limit)
	}
	// Large reads: a 1 GiB body in 32 KiB reads is 32 768 reads from the
	// socket and as many writes, hash calls and progress reports.
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	n, err := io.CopyBuffer(io.MultiWriter(w, h, head), src, *buf)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %v", ErrIncomplete, ctx.Err())
		}
		return nil, fmt.Errorf("%w: reading the upload after %d bytes: %v", ErrIncomplete, n, err)
	}
	switch {
	case size >= 0 && n < size:
		return nil, fmt.Errorf("%w: received %d of %d bytes", ErrIncomplete, n, size)
	case size >= 0 && n > size:
		return nil, fmt.Errorf("%w: the body is longer than the announced %d bytes", ErrConflict, size)
	case s.opts.MaxUpload > 0 && n > s.opts.MaxUpload:
		return nil, fmt.Errorf("%w: the limit is %d bytes", ErrTooLarge, s.opts.MaxUpload)
	}
	// No flush here: the spool becomes the blob (renamed into a local
	// store, which flushes it if configured to survive power cuts, or read
	// by another store's Put), and what is written survives the process
	// dying without one.
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("close spool file: %w", err)
	}
	ok = true
	return &spooled{path: f.Name(), hash: hex.EncodeToString(h.Sum(nil)), size: n, mime: DetectMime(head.b, name), stream: stream}, nil
}

// DetectMime names the content type from the first bytes, using the file
// extension where content sniffing only finds something generic.
func DetectMime(head []byte, name string) string {
	m := mimetype.Detect(head).String()
	base, _, _ := mime.ParseMediaType(m)
	byExt := TypeByName(name)
	switch base {
	case "application/octet-stream", "text/plain", "application/zip", "application/x-ole-storage", "application/xml", "text/xml":
		if byExt != "" {
			return byExt
		}
	}
	if base == "" {
		return "application/octet-stream"
	}
	return base
}

// TypeByName is the type the file name's extension announces, without
// parameters; "" for no extension or an unknown one.
func TypeByName(name string) string {
	ext := strings.ToLower(filepath.Ext(name))
	if ext == "" {
		return ""
	}
	t, _, _ := mime.ParseMediaType(extTypes[ext])
	if t == "" {
		t, _, _ = mime.ParseMediaType(mime.TypeByExtension(ext))
	}
	return t
}

// extTypes covers extensions the system MIME tables often lack.
var extTypes = map[string]string{
	".md":       "text/markdown",
	".markdown": "text/markdown",
	".csv":      "text/csv",
	".eml":      "message/rfc822",
	".odt":      "application/vnd.oasis.opendocument.text",
	".ods":      "application/vnd.oasis.opendocument.spreadsheet",
	".odp":      "application/vnd.oasis.opendocument.presentation",
	".docx":     "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx":     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pptx":     "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".txt":      "text/plain",
	".rtf":      "application/rtf",
}

type headBuffer struct {
	b   []byte
	max int
}

func (h *headBuffer) Write(p []byte) (int, error) {
	if room := h.max - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
