package storage

import (
	"context"
	"io"
	"time"
)

// Optional capabilities. A BlobStore offers one by implementing its
// interface; callers discover it with a type assertion on these names (never
// on an anonymous interface), and wrappers such as metrics.ObserveStore
// forward every capability the wrapped store has — storagetest.Capabilities
// lists them, and the wrapper's test fails when one is not forwarded.
// StreamPutter (storage.go) is one of them.

// Pinger is a store that can check, cheaply, that it can be reached.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Closer is a store with background work (streamed uploads being moved
// into place) that Close waits for. Nothing may use the store after.
type Closer interface {
	Close() error
}

// LocalFiles is a store whose blobs are files on this machine: uploads are
// spooled in TempDir (same filesystem) and renamed into place by PutFile,
// and local readers (the extraction worker) open LocalPath directly.
type LocalFiles interface {
	// TempDir is where spool files go so that PutFile can rename them.
	TempDir() string
	// LocalPath is the file holding key's content, if it exists.
	LocalPath(key string) (string, bool)
	// PutFile moves the complete file at path into the store under key
	// (the file is consumed).
	PutFile(ctx context.Context, key, path string) error
}

// NamedObjects is a store that keeps a few named objects beside the blobs
// (backup snapshots under meta/ in the bucket).
type NamedObjects interface {
	PutNamed(ctx context.Context, name string, r io.Reader, size int64) error
	GetNamed(ctx context.Context, name string) (io.ReadCloser, error)
	ListNamed(ctx context.Context, dir string) ([]BlobInfo, error)
	DeleteNamed(ctx context.Context, name string) error
}

// UploadJanitor is a store whose interrupted uploads leave parts behind:
// multipart uploads never completed, and staging objects of streamed
// uploads a stopped process did not finish.
type UploadJanitor interface {
	// AbortIncompleteUploads removes multipart uploads older than olderThan.
	AbortIncompleteUploads(ctx context.Context, olderThan time.Duration) (int, error)
	// RecoverStaged finishes staged uploads older than finishAfter whose
	// pointer names them, and removes those older than removeAfter that
	// none does.
	RecoverStaged(ctx context.Context, finishAfter, removeAfter time.Duration) (finished, removed int, err error)
}
