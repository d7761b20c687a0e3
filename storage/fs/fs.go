// Package fs stores blobs on local disk, in 256 sharded directories
// (root/ab/abcd…), made when the store is, so that writing a blob creates
// one file and never a folder. Stores made before this layout keep their
// blobs in two levels (root/ab/cd/abcd…); they are read where they are and
// new blobs go to the one-level place (see layoutFile).
// Writes are atomic: a temporary file in root/tmp is written and renamed
// into place. A blob written this way survives the process dying (the
// operating system holds it); SyncWrites also flushes it and its folder to
// the disk before a write returns, so it survives a power cut.
package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"notreasso/internal/ioctx"
	"os"
	"path/filepath"
	"strings"

	"notreasso/storage"
)

// Store is a BlobStore on a local directory.
type Store struct {
	root string
	tmp  string
	sync bool
	// legacy: the store may hold blobs in the two-level layout, so a blob
	// not found in its one-level place is looked for there too.
	legacy bool
}

// layoutFile marks a store made with the one-level layout: it holds no
// two-level blob, so a missing blob is missing without a second look.
// A store without it (made by an older version, or whose marker was lost)
// is read in both layouts, which costs one more lookup for a missing blob.
const layoutFile = ".layout-1"

// New opens (creating if needed) a store rooted at dir.
func New(dir string, opts ...Option) (*Store, error) {
	s := &Store{root: dir, tmp: filepath.Join(dir, "tmp")}
	for _, o := range opts {
		o(s)
	}
	if err := s.prepare(); err != nil {
		return nil, fmt.Errorf("create blob store %s: %w", dir, err)
	}
	return s, nil
}

// prepare makes the temporary folder and the 256 shard folders, and tells
// whether the store may hold two-level blobs: an empty root is made in the
// one-level layout and marked so.
func (s *Store) prepare() error {
	_, err := os.Stat(filepath.Join(s.root, layoutFile))
	switch {
	case err == nil:
		// Made before: its shard folders are there (install makes one
		// again should it have been removed).
		return os.MkdirAll(s.tmp, 0o750)
	case errors.Is(err, iofs.ErrNotExist):
		entries, err := os.ReadDir(s.root)
		if err != nil && !errors.Is(err, iofs.ErrNotExist) {
			return err
		}
		for _, e := range entries {
			if e.Name() != "tmp" {
				s.legacy = true
				break
			}
		}
	default:
		return err
	}
	if err := os.MkdirAll(s.tmp, 0o750); err != nil {
		return err
	}
	for i := range 256 {
		if err := os.Mkdir(filepath.Join(s.root, fmt.Sprintf("%02x", i)), 0o750); err != nil && !errors.Is(err, iofs.ErrExist) {
			return err
		}
	}
	if !s.legacy {
		f, err := os.OpenFile(filepath.Join(s.root, layoutFile), os.O_CREATE|os.O_WRONLY, 0o640)
		if err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if s.sync {
		// The shard folders' entries, and the marker's.
		return syncFile(s.root)
	}
	return nil
}

// Option qualifies New.
type Option func(*Store)

// SyncWrites makes every write flush the blob and its folder to the disk
// before it returns (configuration: durability power).
func SyncWrites() Option { return func(s *Store) { s.sync = true } }

// TempDir is where spool files should be created so that PutFile can rename
// them into place instead of copying.
func (s *Store) TempDir() string { return s.tmp }

// path is where a blob is written, and first looked for.
func (s *Store) path(key string) string {
	return filepath.Join(s.root, key[0:2], key)
}

// legacyPath is where a store made before the one-level layout kept it.
func (s *Store) legacyPath(key string) string {
	return filepath.Join(s.root, key[0:2], key[2:4], key)
}

// find returns the path of a stored blob and its information, looking in
// the two-level place too in a legacy store.
func (s *Store) find(key string) (string, iofs.FileInfo, error) {
	p := s.path(key)
	st, err := os.Stat(p)
	if err != nil && s.legacy && errors.Is(err, iofs.ErrNotExist) {
		p = s.legacyPath(key)
		st, err = os.Stat(p)
	}
	return p, st, err
}

// open opens a stored blob, in the two-level place too in a legacy store.
func (s *Store) open(key string) (*os.File, error) {
	f, err := os.Open(s.path(key))
	if err != nil && s.legacy && errors.Is(err, iofs.ErrNotExist) {
		f, err = os.Open(s.legacyPath(key))
	}
	return f, err
}

// LocalPath returns the file holding the blob, for readers that need a path
// (the extraction worker). The file must not be modified.
func (s *Store) LocalPath(key string) (string, bool) {
	if !storage.ValidKey(key) {
		return "", false
	}
	if s.legacy {
		if p, _, err := s.find(key); err == nil {
			return p, true
		}
	}
	return s.path(key), true
}

// Put implements storage.BlobStore.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !storage.ValidKey(key) {
		return fmt.Errorf("put blob %q: %w", key, storage.ErrInvalidKey)
	}
	if _, _, err := s.find(key); err == nil {
		return nil
	}
	f, err := os.CreateTemp(s.tmp, "put-*")
	if err != nil {
		return fmt.Errorf("put blob %s: %w", key, err)
	}
	defer os.Remove(f.Name()) // no-op once renamed
	n, err := io.Copy(f, io.LimitReader(ioctx.Reader(ctx, r), size+1))
	if err == nil && n != size {
		err = fmt.Errorf("%w: got %d bytes, want %d", storage.ErrSizeMismatch, n, size)
	}
	if err == nil && s.sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("put blob %s: %w", key, err)
	}
	return s.install(key, f.Name())
}

// PutFile moves the finished file at path (which must be inside TempDir and
// hold exactly the blob's content) into place under key. It is the
// zero-copy path for uploads spooled on the same filesystem.
func (s *Store) PutFile(ctx context.Context, key, path string) error {
	if !storage.ValidKey(key) {
		return fmt.Errorf("put blob %q: %w", key, storage.ErrInvalidKey)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, _, err := s.find(key); err == nil {
		return nil
	}
	if s.sync {
		if err := syncFile(path); err != nil {
			return fmt.Errorf("put blob %s: %w", key, err)
		}
	}
	return s.install(key, path)
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func (s *Store) install(key, tmp string) error {
	dst := s.path(key)
	// Blobs are read-only once stored: nothing may rewrite a content hash.
	if err := os.Chmod(tmp, 0o440); err != nil {
		return fmt.Errorf("put blob %s: %w", key, err)
	}
	// The shard folder exists (New made it); should it have been removed
	// since, it is made again.
	err := os.Rename(tmp, dst)
	if errors.Is(err, iofs.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(dst), 0o750); err == nil {
			err = os.Rename(tmp, dst)
		}
	}
	if err != nil {
		return fmt.Errorf("put blob %s: %w", key, err)
	}
	if !s.sync {
		return nil
	}
	// The rename is durable once the folder holding the new name is.
	if err := syncFile(filepath.Dir(dst)); err != nil {
		return fmt.Errorf("put blob %s: sync folder: %w", key, err)
	}
	return nil
}

// Get implements storage.BlobStore.
func (s *Store) Get(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !storage.ValidKey(key) {
		return nil, fmt.Errorf("get blob %q: %w", key, storage.ErrInvalidKey)
	}
	f, err := s.open(key)
	if err != nil {
		return nil, fmt.Errorf("get blob %s: %w", key, mapErr(err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("get blob %s: %w", key, err)
	}
	if off < 0 || off > st.Size() {
		f.Close()
		return nil, fmt.Errorf("get blob %s: offset %d outside 0..%d", key, off, st.Size())
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("get blob %s: %w", key, err)
	}
	if length < 0 || off+length > st.Size() {
		length = st.Size() - off
	}
	return &sectionReadCloser{Reader: io.LimitReader(f, length), f: f}, nil
}

// Stat implements storage.BlobStore.
func (s *Store) Stat(ctx context.Context, key string) (storage.BlobInfo, error) {
	if err := ctx.Err(); err != nil {
		return storage.BlobInfo{}, err
	}
	if !storage.ValidKey(key) {
		return storage.BlobInfo{}, fmt.Errorf("stat blob %q: %w", key, storage.ErrInvalidKey)
	}
	_, st, err := s.find(key)
	if err != nil {
		return storage.BlobInfo{}, fmt.Errorf("stat blob %s: %w", key, mapErr(err))
	}
	return storage.BlobInfo{Key: key, Size: st.Size(), ModTime: st.ModTime()}, nil
}

// Delete implements storage.BlobStore.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !storage.ValidKey(key) {
		return fmt.Errorf("delete blob %q: %w", key, storage.ErrInvalidKey)
	}
	err := os.Remove(s.path(key))
	if err != nil && s.legacy && errors.Is(err, iofs.ErrNotExist) {
		err = os.Remove(s.legacyPath(key))
	}
	if err != nil {
		return fmt.Errorf("delete blob %s: %w", key, mapErr(err))
	}
	return nil
}

// List implements storage.BlobStore.
func (s *Store) List(ctx context.Context, prefix string, fn func(storage.BlobInfo) error) error {
	err := filepath.WalkDir(s.root, func(p string, d iofs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if p == s.tmp {
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		if !storage.ValidKey(name) || !strings.HasPrefix(name, prefix) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, iofs.ErrNotExist) {
				return nil
			}
			return err
		}
		return fn(storage.BlobInfo{Key: name, Size: info.Size(), ModTime: info.ModTime()})
	})
	if err != nil {
		return fmt.Errorf("list blobs: %w", err)
	}
	return nil
}

// mapErr turns a missing file into storage.ErrNotFound. The os error is
// dropped: it names the store's directory, and a not-found message reaches
// clients (the callers' messages name the key, which is enough to find it).
func mapErr(err error) error {
	if errors.Is(err, iofs.ErrNotExist) {
		return storage.ErrNotFound
	}
	return err
}

type sectionReadCloser struct {
	io.Reader
	f *os.File
}

func (r *sectionReadCloser) Close() error { return r.f.Close() }
