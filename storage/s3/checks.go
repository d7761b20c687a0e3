package s3

// This file: what an S3 error means (missing key, unreachable server), and
// the reader that enforces a blob's exact length.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"

	"github.com/minio/minio-go/v7"

	"notreasso/storage"
)

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// unavailable wraps err with storage.ErrUnavailable when it means the
// server could not be reached or failed (network error, timeout, 5xx after
// minio-go's retries) rather than refused the request, so callers can tell
// "try again later" from a bug or a configuration error.
func unavailable(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, storage.ErrUnavailable) {
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) || errStatus(err) >= 500 {
		return fmt.Errorf("%w: %w", storage.ErrUnavailable, err)
	}
	return err
}

func errCode(err error) string {
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		return er.Code
	}
	return ""
}

func errStatus(err error) int {
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		return er.StatusCode
	}
	return 0
}

// isNotFound reports a missing object; a missing bucket is a configuration
// error and must not pass for a missing blob.
func isNotFound(err error) bool {
	switch errCode(err) {
	case minio.NoSuchKey, "NotFound":
		return true
	case minio.NoSuchBucket:
		return false
	}
	return errStatus(err) == http.StatusNotFound
}

// exactReader passes through exactly `remaining` bytes of r and fails with
// storage.ErrSizeMismatch if r ends early or has more. Errors are sticky and
// never returned alongside data: minio-go drops an error that comes with the
// bytes completing a part, which would hide a failure.
type exactReader struct {
	ctx       context.Context
	r         io.Reader
	remaining int64
	checked   bool  // r was seen to end right after the last byte
	err       error // sticky
	probe     [1]byte
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	// Stop between parts when the caller gives up (e.g. client disconnected).
	if err := e.ctx.Err(); err != nil {
		e.err = err
		return 0, err
	}
	if e.remaining == 0 {
		if err := e.checkEnd(); err != nil {
			return 0, err
		}
		return 0, io.EOF
	}
	if int64(len(p)) > e.remaining {
		p = p[:e.remaining]
	}
	n, err := e.r.Read(p)
	e.remaining -= int64(n)
	switch {
	case err == io.EOF && e.remaining > 0:
		e.err = fmt.Errorf("stream ended %d bytes early: %w", e.remaining, storage.ErrSizeMismatch)
		return 0, e.err
	case err != nil && err != io.EOF:
		e.err = err
		return 0, err
	}
	if e.remaining == 0 {
		// Check for extra bytes before handing over the last ones, so the
		// upload fails before it can complete.
		if err := e.checkEnd(); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// checkEnd verifies r has no byte beyond the announced size.
func (e *exactReader) checkEnd() error {
	if e.err != nil {
		return e.err
	}
	if e.remaining > 0 {
		e.err = fmt.Errorf("stream has %d bytes missing: %w", e.remaining, storage.ErrSizeMismatch)
		return e.err
	}
	if e.checked {
		return nil
	}
	for range 100 { // tolerate readers that return 0, nil a few times
		n, err := e.r.Read(e.probe[:])
		if n > 0 {
			e.err = fmt.Errorf("stream is longer than the announced size: %w", storage.ErrSizeMismatch)
			return e.err
		}
		if err == io.EOF {
			e.checked = true
			return nil
		}
		if err != nil {
			e.err = err
			return err
		}
	}
	e.err = errors.New("stream returned no data and no EOF")
	return e.err
}

// cause prefers the stream's own error over minio-go's wrapping of it, so
// callers see ErrSizeMismatch or the reader's error with errors.Is.
func (e *exactReader) cause(err error) error {
	if e.err != nil && !errors.Is(err, e.err) {
		return fmt.Errorf("%w (upload: %v)", e.err, err)
	}
	return err
}
