// Package storage defines where blob content lives. A blob is an immutable
// byte stream stored under a key; Notre Asso uses the hex SHA-256 of the
// content as the key, so a key is written at most once with one content.
//
// Backends: storage/fs (local disk, the default) and storage/s3 (any
// S3-compatible object store). Every backend passes storage/storagetest.
package storage

import (
	"context"
	"errors"
	"io"
	"notreasso/internal/errkind"
	"time"
)

// ErrNotFound is returned (possibly wrapped) when a key does not exist.
var ErrNotFound = errkind.New(errkind.NotFound, "blob not found")

// ErrInvalidKey is returned when a key is not acceptable to the backend
// (empty, contains a path separator, "..", or is not lower-case hex).
var ErrInvalidKey = errors.New("invalid blob key")

// ErrSizeMismatch is returned by Put when the stream did not deliver exactly
// the announced number of bytes. Nothing is stored in that case.
var ErrSizeMismatch = errors.New("blob size mismatch")

// ErrUnavailable is returned (wrapped) when the backend cannot be reached:
// connection refused or reset, timeouts, server errors after retries. The
// operation may succeed later; nothing was stored by a failed Put.
var ErrUnavailable = errkind.New(errkind.Unavailable, "storage unavailable")

// BlobInfo describes a stored blob.
type BlobInfo struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// BlobStore stores immutable blobs by key.
//
// Implementations must be safe for concurrent use. Keys are opaque strings of
// lower-case hexadecimal digits (see ValidKey).
type BlobStore interface {
	BlobReader

	// Put stores exactly size bytes read from r under key. The write is
	// atomic: a reader never sees a partial blob, and if Put fails (reader
	// error, size mismatch, cancelled ctx) nothing is left under key.
	// Putting a key that already exists is not an error; since keys are
	// content hashes the existing blob is kept and r need not be consumed.
	// size must be >= 0.
	Put(ctx context.Context, key string, r io.Reader, size int64) error

	// Delete removes the blob. Deleting a missing key returns ErrNotFound.
	Delete(ctx context.Context, key string) error
}

// BlobReader is the read side of a BlobStore: what readers that must not
// write (the indexer, backups, consistency checks) are given.
type BlobReader interface {
	// Get opens the blob for reading from byte offset off. length < 0 means
	// "to the end". The caller closes the reader. A range starting at or
	// beyond the end yields an empty reader for off == size and an error
	// otherwise. Returns ErrNotFound if the key does not exist.
	Get(ctx context.Context, key string, off, length int64) (io.ReadCloser, error)

	// Stat returns the blob's size and modification time, or ErrNotFound.
	Stat(ctx context.Context, key string) (BlobInfo, error)

	// List calls fn for every stored blob whose key starts with prefix, in
	// no particular order. If fn returns an error, List stops and returns it.
	List(ctx context.Context, prefix string, fn func(BlobInfo) error) error
}

// ValidKey reports whether key is acceptable: 8 to 128 lower-case hex digits.
func ValidKey(key string) bool {
	if len(key) < 8 || len(key) > 128 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// StreamPutter is implemented by stores that can send a blob while its
// content is still being received. The caller writes the content to a local
// file (the upload spool) and reports its progress; the store reads what is
// written from the file, on its own schedule, so nothing is held in memory.
// The key (the content hash) is only known at the end, so the store uploads
// under a name of its own and files the content under the key at Commit.
type StreamPutter interface {
	// StreamPut starts storing the content of the file at path, which the
	// caller is writing and which will hold exactly size bytes. It returns
	// nil, nil when a plain Put suits this size better.
	StreamPut(ctx context.Context, path string, size int64) (StreamPut, error)
}

// StreamPut is one upload started by StreamPutter.StreamPut. Written and
// Abort may be called from any goroutine.
type StreamPut interface {
	// Written reports that the file's first n bytes are written and will
	// not change.
	Written(n int64)
	// Commit stores the content under key once all size bytes are written:
	// when it returns nil, Get, Stat and List see the blob, as after Put
	// (a store may still be moving it into place in the background; that
	// is its business). If the key already holds a blob, it is kept. On
	// error nothing is left under key.
	Commit(ctx context.Context, key string) error
	// Abort gives the upload up and removes what was sent. It is a no-op
	// after Commit and may be called more than once.
	Abort()
}
