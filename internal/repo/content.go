package repo

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"notreasso/internal/meta"
	"notreasso/internal/metrics"
	"notreasso/storage"
)

// Reader streams the version's content from off, length bytes (-1: to the
// end). Call it before sending any header: a missing or unreadable blob is
// ErrContentMissing, a blob known to be altered ErrContentCorrupt, never
// an empty or wrong body.
//
// A whole-file read is verified while it streams: if the bytes do not hash
// to the version's SHA-256, the last Read fails with ErrContentCorrupt
// (the client sees a broken transfer, not a complete file), the blob is
// marked corrupt, and later reads fail at once. A range cannot be verified
// without reading the whole blob, so ranges are served unchecked.
func (f *File) Reader(ctx context.Context, off, length int64) (io.ReadCloser, error) {
	s, v := f.s, f.Version
	if err := s.checkIntact(ctx, f); err != nil {
		return nil, err
	}
	rc, err := s.blobs.Get(ctx, v.Hash, off, length)
	if err != nil {
		return nil, s.contentError(ctx, f, err)
	}
	if off != 0 || (length >= 0 && length != v.Size) {
		return rc, nil
	}
	return &verifier{rc: rc, f: f, h: sha256.New()}, nil
}

// Check says whether the version's content can be served, without
// reading it: what a HEAD request answers must match what a GET would.
// Its errors are Reader's.
func (f *File) Check(ctx context.Context) error {
	s, v := f.s, f.Version
	if err := s.checkIntact(ctx, f); err != nil {
		return err
	}
	info, err := s.blobs.Stat(ctx, v.Hash)
	if err == nil && info.Size != v.Size {
		err = fmt.Errorf("stored size %d, recorded %d", info.Size, v.Size)
	}
	if err != nil {
		return s.contentError(ctx, f, err)
	}
	return nil
}

// checkIntact refuses a version whose blob was found altered.
func (s *core) checkIntact(ctx context.Context, f *File) error {
	var at sql.NullInt64
	err := s.db.R.QueryRowContext(ctx, `SELECT corrupt_at FROM blobs WHERE sha256 = ?`, f.Version.Hash).Scan(&at)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read %s version %d: check its content: %w", f.Node.Path, f.Version.Number, err)
	}
	if at.Valid {
		metrics.ContentErrors.WithLabelValues("corrupt").Inc()
		s.log.ErrorContext(ctx, "refused to serve altered content", "node", f.Node.ID, "version", f.Version.Number,
			"sha256", f.Version.Hash, "found_at", time.Unix(0, at.Int64).UTC())
		return fmt.Errorf("read %s version %d: %w", f.Node.Path, f.Version.Number, ErrContentCorrupt)
	}
	return nil
}

// contentError turns a failure to open a blob into what doors report. The
// store's own error (which may name a server path) goes to the log only.
func (s *core) contentError(ctx context.Context, f *File, err error) error {
	if ctx.Err() != nil || errors.Is(err, storage.ErrUnavailable) {
		return fmt.Errorf("read %s version %d: %w", f.Node.Path, f.Version.Number, err)
	}
	metrics.ContentErrors.WithLabelValues("missing").Inc()
	s.log.ErrorContext(ctx, "file content missing or unreadable", "node", f.Node.ID, "version", f.Version.Number,
		"sha256", f.Version.Hash, "err", err)
	return fmt.Errorf("read %s version %d: %w", f.Node.Path, f.Version.Number, ErrContentMissing)
}

// verifier hashes a whole-file read and fails its end on a mismatch. It
// never hands out bytes past the version's size, and withholds the final
// chunk until the hash is known, so that a reader stopping at exactly the
// announced length (fasthttp does) still sees the failure.
type verifier struct {
	rc   io.ReadCloser
	f    *File
	h    hash.Hash
	n    int64
	done bool // verified: only EOF is left
}

func (v *verifier) Read(p []byte) (int, error) {
	size := v.f.Version.Size
	if v.done {
		return 0, io.EOF
	}
	if left := size - v.n; int64(len(p)) > left {
		p = p[:left]
	}
	n, err := 0, error(nil)
	if len(p) > 0 {
		n, err = v.rc.Read(p)
	}
	v.h.Write(p[:n])
	v.n += int64(n)
	switch {
	case v.n == size:
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.f.Version.Hash {
			return 0, v.corrupt(fmt.Sprintf("content hashes to %s", got))
		}
		v.done = true
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	case errors.Is(err, io.EOF):
		return 0, v.corrupt(fmt.Sprintf("content ends after %d of %d bytes", v.n, size))
	}
	return n, err
}

func (v *verifier) Close() error { return v.rc.Close() }

// corrupt records the mismatch: counted, logged and marked, so the next
// request gets an error before any byte is sent.
func (v *verifier) corrupt(why string) error {
	s, f := v.f.s, v.f
	metrics.ContentErrors.WithLabelValues("corrupt").Inc()
	s.log.Error("file content altered in the storage: transfer cut, content marked corrupt", "node", f.Node.ID,
		"version", f.Version.Number, "sha256", f.Version.Hash, "why", why)
	// The request may be over (fasthttp reads the body after the handler).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.markCorrupt(ctx, f.Version.Hash); err != nil {
		s.log.Error("mark content corrupt", "sha256", f.Version.Hash, "err", err)
	}
	return fmt.Errorf("read %s version %d: %w", f.Node.Path, f.Version.Number, ErrContentCorrupt)
}

func (s *core) markCorrupt(ctx context.Context, hash string) error {
	return s.db.Tx(ctx, func(tx meta.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE blobs SET corrupt_at = ? WHERE sha256 = ? AND corrupt_at IS NULL`, s.now().UnixNano(), hash)
		return err
	})
}

// corruptBlob reports whether the blob is marked corrupt: an upload of the
// same content then writes it again instead of trusting the stored copy.
func (s *core) corruptBlob(ctx context.Context, hash string) bool {
	var at sql.NullInt64
	err := s.db.R.QueryRowContext(ctx, `SELECT corrupt_at FROM blobs WHERE sha256 = ?`, hash).Scan(&at)
	return err == nil && at.Valid
}

// replaceCorrupt removes the altered copy before the upload's content is
// stored under its hash (stores skip keys they already hold).
func (s *core) replaceCorrupt(ctx context.Context, hash string) error {
	if err := s.blobs.Delete(ctx, hash); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("remove altered blob %s: %w", hash, err)
	}
	return nil
}

// clearCorrupt lifts the mark once the true content is stored again.
func (s *core) clearCorrupt(ctx context.Context, hash string) error {
	return s.db.Tx(ctx, func(tx meta.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE blobs SET corrupt_at = NULL WHERE sha256 = ?`, hash)
		return err
	})
}
