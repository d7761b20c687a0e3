// Package backup makes consistent, incremental backups of a Notre Asso
// instance and restores them: a snapshot of the metadata (SQLite's VACUUM
// INTO, gzipped) plus the blobs, which are immutable and so copied once.
// A target is a directory (any disk, a mounted share) or, with the S3
// backend, the bucket itself: snapshots then go under meta/ beside the
// blobs, and the bucket alone can rebuild the service.
package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"notreasso/storage"
	blobfs "notreasso/storage/fs"
)

// Target is where backups are written and read from.
type Target interface {
	// Blobs is the target's blob store; nil when the target is the live
	// store itself (the bucket), whose blobs need no copy.
	Blobs() storage.BlobStore
	// PutMeta stores a snapshot file under meta/name, replacing it.
	PutMeta(ctx context.Context, name string, r io.Reader, size int64) error
	// GetMeta opens meta/name, or returns storage.ErrNotFound.
	GetMeta(ctx context.Context, name string) (io.ReadCloser, error)
	// ListMeta lists the names in meta/, sorted.
	ListMeta(ctx context.Context) ([]string, error)
	// DeleteMeta removes meta/name.
	DeleteMeta(ctx context.Context, name string) error
	// String names the target for people.
	String() string
}

// Dir is a backup directory: DIR/blobs/ab/cd/<sha256> (the local store's
// layout) and DIR/meta/.
type Dir struct {
	root  string
	blobs *blobfs.Store
}

// OpenDir opens (creating if needed) a backup directory.
func OpenDir(root string) (*Dir, error) {
	// A backup is often taken to a disk unplugged right after: every blob
	// is on the disk when the backup says it is done.
	bs, err := blobfs.New(filepath.Join(root, "blobs"), blobfs.SyncWrites())
	if err != nil {
		return nil, fmt.Errorf("backup directory %s: %w", root, err)
	}
	if err := os.MkdirAll(filepath.Join(root, "meta"), 0o750); err != nil {
		return nil, fmt.Errorf("backup directory %s: %w", root, err)
	}
	return &Dir{root: root, blobs: bs}, nil
}

func (d *Dir) Blobs() storage.BlobStore { return d.blobs }
func (d *Dir) String() string           { return d.root }

func (d *Dir) metaPath(name string) (string, error) {
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return "", fmt.Errorf("backup: bad snapshot name %q", name)
	}
	return filepath.Join(d.root, "meta", name), nil
}

func (d *Dir) PutMeta(ctx context.Context, name string, r io.Reader, size int64) error {
	p, err := d.metaPath(name)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	defer os.Remove(f.Name())
	n, err := io.Copy(f, r)
	if err == nil && n != size {
		err = fmt.Errorf("%w: wrote %d bytes of %d", storage.ErrSizeMismatch, n, size)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return syncDir(filepath.Dir(p))
}

func (d *Dir) GetMeta(ctx context.Context, name string) (io.ReadCloser, error) {
	p, err := d.metaPath(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", p, storage.ErrNotFound)
	}
	return f, err
}

func (d *Dir) ListMeta(ctx context.Context) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(d.root, "meta"))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", d.root, err)
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

func (d *Dir) DeleteMeta(ctx context.Context, name string) error {
	p, err := d.metaPath(name)
	if err != nil {
		return err
	}
	return os.Remove(p)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// namedStore is what the S3 store offers for files beside the blobs.
type namedStore interface {
	storage.BlobStore
	storage.NamedObjects
}

// bucketMeta keeps snapshots under meta/ of an S3 bucket: the part the
// live bucket (Bucket) and an off-site one (Remote) share.
type bucketMeta struct{ s namedStore }

func (m bucketMeta) PutMeta(ctx context.Context, name string, r io.Reader, size int64) error {
	return m.s.PutNamed(ctx, "meta/"+name, r, size)
}

func (m bucketMeta) GetMeta(ctx context.Context, name string) (io.ReadCloser, error) {
	return m.s.GetNamed(ctx, "meta/"+name)
}

func (m bucketMeta) ListMeta(ctx context.Context) ([]string, error) {
	objs, err := m.s.ListNamed(ctx, "meta")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range objs {
		out = append(out, strings.TrimPrefix(o.Key, "meta/"))
	}
	sort.Strings(out)
	return out, nil
}

func (m bucketMeta) DeleteMeta(ctx context.Context, name string) error {
	return m.s.DeleteNamed(ctx, "meta/"+name)
}

// Bucket is the live S3 store used as its own backup target: blobs are
// already there; snapshots go under meta/.
type Bucket struct {
	bucketMeta
	name string
}

// OpenBucket wraps the live blob store, which must be the S3 backend.
func OpenBucket(live storage.BlobStore, name string) (*Bucket, error) {
	s, ok := live.(namedStore)
	if !ok {
		return nil, errors.New("backup: --bucket needs storage.backend s3")
	}
	return &Bucket{bucketMeta{s}, name}, nil
}

func (b *Bucket) Blobs() storage.BlobStore { return nil }
func (b *Bucket) String() string           { return "bucket " + b.name + " (meta/)" }

// Remote is a second S3-compatible bucket (another provider, off-site):
// blobs under its prefix as in the live bucket, snapshots under meta/.
type Remote struct {
	bucketMeta
	name string
}

// OpenRemote wraps an S3 store opened on the off-site bucket.
func OpenRemote(s storage.BlobStore, name string) (*Remote, error) {
	ns, ok := s.(namedStore)
	if !ok {
		return nil, errors.New("backup: an off-site target needs an S3 store")
	}
	return &Remote{bucketMeta{ns}, name}, nil
}

func (r *Remote) Blobs() storage.BlobStore { return r.s }
func (r *Remote) String() string           { return r.name }
