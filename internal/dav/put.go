package dav

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"notreasso/internal/repo"
	"notreasso/internal/serving"
)

// smallPut is the announced size up to which a PUT without conditions is
// checked only by repo.Put's transaction.
const smallPut = 256 << 10

// put stores the body as a new version with repo.Put: spooled while its
// hash is computed, committed only once complete. A PUT cut off halfway
// leaves the previous version current and nothing half-written.
func (rq *request) put() error {
	if rq.r.Header.Get("Content-Range") != "" {
		// RFC 9110 §14.5: a server that does not support partial PUT must refuse it.
		return fmt.Errorf("%w: partial PUT (Content-Range) is not supported", errBadRequest)
	}
	size := rq.r.ContentLength
	if size < 0 {
		// macOS Finder sends chunked bodies and announces their length here.
		if n, err := strconv.ParseInt(rq.r.Header.Get("X-Expected-Entity-Length"), 10, 64); err == nil && n >= 0 {
			size = n
		}
	}
	// Locks are checked before the body is read, so a refused upload costs
	// nothing. A small body without conditions skips that: repo.Put checks
	// the same locks in its transaction, and a sync app's thousands of
	// small files would pay for every check twice.
	exists := false
	if size < 0 || size > smallPut || rq.r.Header.Get("If") != "" || rq.r.Header.Get("If-Match") != "" {
		_, statErr := rq.h.repo.Tree.Stat(rq.ctx, rq.p, rq.path)
		exists = statErr == nil
		if err := rq.checkWrite(scope{Path: rq.path, Member: !exists}); err != nil {
			return err
		}
	}
	opts := repo.PutOptions{Size: size, IfNoneMatch: rq.r.Header.Get("If-None-Match") == "*"}
	switch m := rq.r.Header.Get("If-Match"); {
	case m == "*" && !exists:
		return fmt.Errorf("%s does not exist: %w", rq.path, repo.ErrPrecondition)
	case m != "" && m != "*":
		opts.IfMatch = strings.Trim(strings.TrimPrefix(strings.TrimSpace(m), "W/"), `"`)
	}
	body := io.Reader(rq.r.Body)
	if v := rq.r.Header.Get("OC-Checksum"); v != "" {
		body, opts.Verify = checkedBody(body, v)
	}
	mtime := rq.r.Header.Get("X-OC-Mtime") // rclone, ownCloud and Nextcloud clients
	if mtime != "" {
		sec, err := strconv.ParseFloat(mtime, 64)
		if err != nil {
			return fmt.Errorf("%w: X-OC-Mtime must be Unix seconds", errBadRequest)
		}
		opts.ModTime = time.Unix(0, int64(sec*1e9))
	}
	n, created, err := rq.h.repo.Tree.Put(rq.ctx, rq.p, rq.path, body, opts)
	if errors.Is(err, repo.ErrNotFound) {
		err = fmt.Errorf("%w (%w)", errNoParent, err)
	}
	if err != nil {
		return err
	}
	h := rq.w.Header()
	setOCHeaders(h, n)
	if mtime != "" {
		h.Set("X-OC-Mtime", "accepted")
	}
	if created {
		rq.w.WriteHeader(http.StatusCreated)
	} else {
		rq.w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// get serves a file's current version: type and ETag from metadata (the
// same ETag PROPFIND reports), ranges and conditionals by http.ServeContent
// reading the blob from the offset asked. A folder gets a plain listing.
// The blob is opened before any header: a missing one is a 500 with a
// clear message, never an empty file a sync client would copy everywhere.
func (rq *request) get() error {
	f, err := rq.h.repo.History.Open(rq.ctx, rq.p, rq.path, 0)
	if errors.Is(err, repo.ErrIsDir) {
		return rq.index()
	}
	if err != nil {
		return err
	}
	br := &blobReader{ctx: rq.ctx, f: f, size: f.Version.Size}
	defer br.Close()
	if rq.r.Method == http.MethodGet {
		if err := br.open(0); err != nil {
			return err
		}
	} else if err := f.Check(rq.ctx); err != nil {
		return err // HEAD answers what GET would
	}
	h := rq.w.Header()
	h.Set("ETag", `"`+f.Version.Hash+`"`)
	h.Set("OC-FileId", FileID(f.Node))
	h.Set("OC-ETag", `"`+f.Version.Hash+`"`)
	h.Set("Cache-Control", "private, no-cache")
	// User content must never run script in our origin: active types are
	// attachments, and nothing is sniffed (see serving).
	sh, _ := serving.For(f.Node.Name, f.Version.Mime, serving.Open)
	sh.SetHTTP(h)
	http.ServeContent(rq.w, rq.r, f.Node.Name, f.Version.ModTime, br)
	if br.err != nil {
		// Headers (and maybe bytes) are out: cut the transfer so the
		// client cannot take it for a complete file.
		panic(abort{br.err})
	}
	return nil
}

// index lists a folder for a browser pointed at the drive.
func (rq *request) index() error {
	dir, kids, err := rq.h.repo.Tree.List(rq.ctx, rq.p, rq.path)
	if err != nil {
		return err
	}
	rq.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	rq.w.Header().Set("ETag", etag(dir))
	if rq.r.Method == http.MethodHead {
		return nil
	}
	fmt.Fprintf(rq.w, "<!doctype html><meta charset=utf-8><title>%s</title><h1>%s</h1><ul>\n", html.EscapeString(dir.Path), html.EscapeString(dir.Path))
	for _, k := range kids {
		fmt.Fprintf(rq.w, "<li><a href=\"%s\">%s</a></li>\n", href(rq.prefix, k.Path, k.Dir), html.EscapeString(k.Name))
	}
	io.WriteString(rq.w, "</ul>\n")
	return nil
}

// blobReader is a file version as an io.ReadSeeker for http.ServeContent:
// seeking is free, and the blob is (re)opened at the offset of a read when
// the open stream is elsewhere. A read error is kept: it aborts the response.
type blobReader struct {
	ctx   context.Context
	f     *repo.File
	size  int64
	off   int64
	rc    io.ReadCloser
	rcOff int64 // where rc's next byte comes from
	err   error
}

func (b *blobReader) Seek(offset int64, whence int) (int64, error) {
	n := offset
	switch whence {
	case io.SeekCurrent:
		n += b.off
	case io.SeekEnd:
		n += b.size
	}
	if n < 0 {
		return 0, fmt.Errorf("seek to %d: negative position", n)
	}
	b.off = n
	return n, nil
}

// open starts a stream at off to the end (verified when off is 0).
func (b *blobReader) open(off int64) error {
	b.Close()
	rc, err := b.f.Reader(b.ctx, off, b.size-off)
	if err != nil {
		return err
	}
	b.rc, b.rcOff = rc, off
	return nil
}

func (b *blobReader) Read(p []byte) (int, error) {
	if b.off >= b.size {
		return 0, io.EOF
	}
	if b.rc == nil || b.rcOff != b.off {
		if err := b.open(b.off); err != nil {
			b.err = err
			return 0, err
		}
	}
	n, err := b.rc.Read(p)
	b.off += int64(n)
	b.rcOff += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		b.err = err
	}
	return n, err
}

func (b *blobReader) Close() error {
	if b.rc == nil {
		return nil
	}
	err := b.rc.Close()
	b.rc = nil
	return err
}
