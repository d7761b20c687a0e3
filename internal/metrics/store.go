package metrics

import (
	"context"
	"errors"
	"io"
	"time"

	"notreasso/storage"
)

// ObserveStore wraps a blob store so its failures count in StorageErrors,
// labelled with backend ("fs", "s3"). Missing blobs, invalid keys and
// cancelled requests are not failures of the store and are not counted.
//
// The wrapper forwards every optional capability of package storage that
// the store has (TestObserveStoreKeepsCapabilities checks each one), and
// always offers Ping. Unwrap returns the original store.
func ObserveStore(b storage.BlobStore, backend string) storage.BlobStore {
	for _, op := range StorageOps {
		StorageErrors.WithLabelValues(backend, op) // exist from the start, at 0
	}
	o := &observed{b: b, backend: backend}
	switch b.(type) {
	case localStore:
		return &observedLocal{o}
	case remoteStore:
		return &observedRemote{o}
	}
	return o
}

// The two shapes of store there are: local disk, and an object store with
// streamed uploads, named objects and parts to clean up.
type localStore interface {
	storage.LocalFiles
}

type remoteStore interface {
	storage.NamedObjects
	storage.UploadJanitor
	storage.StreamPutter
	storage.Closer
}

type observed struct {
	b       storage.BlobStore
	backend string
}

// count records err if it is a failure of the store, and returns it.
func (o *observed) count(op string, err error) error {
	if err != nil && !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrInvalidKey) &&
		!errors.Is(err, context.Canceled) {
		StorageErrors.WithLabelValues(o.backend, op).Inc()
	}
	return err
}

// Unwrap returns the store being observed.
func (o *observed) Unwrap() storage.BlobStore { return o.b }

func (o *observed) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	return o.count("put", o.b.Put(ctx, key, r, size))
}

func (o *observed) Get(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	rc, err := o.b.Get(ctx, key, off, length)
	if err != nil {
		return nil, o.count("get", err)
	}
	return &observedReader{ReadCloser: rc, o: o}, nil
}

func (o *observed) Stat(ctx context.Context, key string) (storage.BlobInfo, error) {
	info, err := o.b.Stat(ctx, key)
	return info, o.count("stat", err)
}

func (o *observed) Delete(ctx context.Context, key string) error {
	return o.count("delete", o.b.Delete(ctx, key))
}

func (o *observed) List(ctx context.Context, prefix string, fn func(storage.BlobInfo) error) error {
	var fnErr error
	err := o.b.List(ctx, prefix, func(b storage.BlobInfo) error {
		fnErr = fn(b)
		return fnErr
	})
	if err != nil && fnErr != nil && errors.Is(err, fnErr) {
		return err // the callback stopped the listing, not the store
	}
	return o.count("list", err)
}

// Ping checks the store answers: its own Ping if it has one, else a Stat
// of a key that cannot exist, where ErrNotFound proves the store answered.
func (o *observed) Ping(ctx context.Context) error {
	if p, ok := o.b.(storage.Pinger); ok {
		return o.count("ping", p.Ping(ctx))
	}
	_, err := o.b.Stat(ctx, "00000000000000000000000000000000")
	if errors.Is(err, storage.ErrNotFound) {
		err = nil
	}
	return o.count("ping", err)
}

// observedReader counts read failures of a blob being streamed out.
type observedReader struct {
	io.ReadCloser
	o      *observed
	failed bool
}

func (r *observedReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if err != nil && err != io.EOF && !r.failed {
		r.failed = true
		r.o.count("get", err)
	}
	return n, err
}

// observedLocal is a local (fs) store: spool files are renamed into place
// and the extraction worker reads blobs by path.
type observedLocal struct{ *observed }

func (o *observedLocal) local() localStore { return o.b.(localStore) }

func (o *observedLocal) TempDir() string { return o.local().TempDir() }

func (o *observedLocal) LocalPath(key string) (string, bool) { return o.local().LocalPath(key) }

func (o *observedLocal) PutFile(ctx context.Context, key, path string) error {
	return o.count("put", o.local().PutFile(ctx, key, path))
}

// observedRemote is an object store with multipart uploads to clean up.
type observedRemote struct{ *observed }

func (o *observedRemote) AbortIncompleteUploads(ctx context.Context, olderThan time.Duration) (int, error) {
	return o.b.(remoteStore).AbortIncompleteUploads(ctx, olderThan)
}

func (o *observedRemote) PutNamed(ctx context.Context, name string, r io.Reader, size int64) error {
	return o.count("put", o.b.(remoteStore).PutNamed(ctx, name, r, size))
}

func (o *observedRemote) GetNamed(ctx context.Context, name string) (io.ReadCloser, error) {
	rc, err := o.b.(remoteStore).GetNamed(ctx, name)
	return rc, o.count("get", err)
}

func (o *observedRemote) ListNamed(ctx context.Context, dir string) ([]storage.BlobInfo, error) {
	out, err := o.b.(remoteStore).ListNamed(ctx, dir)
	return out, o.count("list", err)
}

func (o *observedRemote) DeleteNamed(ctx context.Context, name string) error {
	return o.count("delete", o.b.(remoteStore).DeleteNamed(ctx, name))
}

func (o *observedRemote) StreamPut(ctx context.Context, path string, size int64) (storage.StreamPut, error) {
	st, err := o.b.(remoteStore).StreamPut(ctx, path, size)
	if err != nil || st == nil {
		return nil, o.count("put", err)
	}
	return &observedStream{StreamPut: st, o: o.observed}, nil
}

func (o *observedRemote) RecoverStaged(ctx context.Context, finishAfter, removeAfter time.Duration) (int, int, error) {
	f, r, err := o.b.(remoteStore).RecoverStaged(ctx, finishAfter, removeAfter)
	return f, r, o.count("recover", err)
}

func (o *observedRemote) Close() error { return o.b.(remoteStore).Close() }

// observedStream counts a streamed upload that fails to commit.
type observedStream struct {
	storage.StreamPut
	o *observed
}

func (s *observedStream) Commit(ctx context.Context, key string) error {
	return s.o.count("put", s.StreamPut.Commit(ctx, key))
}
