package s3

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/minio/minio-go/v7"

	"notreasso/storage"
)

// Named objects live beside the blobs, under <Prefix><name>, for files
// that are not content-addressed: the database snapshots of `notreasso
// backup`, so that the bucket alone can rebuild the service. Names are
// relative paths such as "meta/notreasso-20260612T101500Z.db.gz"; the
// blobs/ folder is off limits.

func (s *Store) namedObject(name string) (string, error) {
	clean := path.Clean(name)
	if name == "" || clean != name || strings.HasPrefix(name, "/") || strings.HasPrefix(name, "..") ||
		clean == "blobs" || strings.HasPrefix(clean, blobsDir) || clean == "staging" || strings.HasPrefix(clean, stagingDir) {
		return "", fmt.Errorf("s3: object name %q is not a relative path outside %s and %s", name, blobsDir, stagingDir)
	}
	return s.prefix + name, nil
}

// PutNamed stores size bytes from r under name, replacing what was there.
func (s *Store) PutNamed(ctx context.Context, name string, r io.Reader, size int64) error {
	obj, err := s.namedObject(name)
	if err != nil {
		return err
	}
	_, err = s.client.PutObject(ctx, s.bucket, obj, r, size, minio.PutObjectOptions{
		ContentType: "application/octet-stream", PartSize: uint64(s.partSizeFor(size))})
	if err != nil {
		return fmt.Errorf("s3 put %s: %w", name, err)
	}
	return s.verify(ctx, obj, size)
}

// GetNamed opens the object name; storage.ErrNotFound if missing.
func (s *Store) GetNamed(ctx context.Context, name string) (io.ReadCloser, error) {
	obj, err := s.namedObject(name)
	if err != nil {
		return nil, err
	}
	body, _, _, err := s.core.GetObject(ctx, s.bucket, obj, minio.GetObjectOptions{})
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("s3 get %s: %w", name, storage.ErrNotFound)
		}
		return nil, fmt.Errorf("s3 get %s: %w", name, err)
	}
	return body, nil
}

// ListNamed lists the objects directly in the folder dir (e.g. "meta");
// Key holds the name relative to Prefix.
func (s *Store) ListNamed(ctx context.Context, dir string) ([]storage.BlobInfo, error) {
	obj, err := s.namedObject(dir)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var out []storage.BlobInfo
	for o := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: obj + "/"}) {
		if o.Err != nil {
			return nil, fmt.Errorf("s3 list %s: %w", dir, o.Err)
		}
		if strings.HasSuffix(o.Key, "/") {
			continue
		}
		out = append(out, storage.BlobInfo{Key: strings.TrimPrefix(o.Key, s.prefix), Size: o.Size, ModTime: o.LastModified})
	}
	return out, ctx.Err()
}

// DeleteNamed removes the object name (no error if it is missing).
func (s *Store) DeleteNamed(ctx context.Context, name string) error {
	obj, err := s.namedObject(name)
	if err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, obj, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("s3 delete %s: %w", name, err)
	}
	return nil
}
