package s3

// This file: reading, deleting and listing blobs (following pointers, see
// pointer.go), and the clean-up of abandoned multipart uploads.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"notreasso/storage"
)

// Get implements storage.BlobStore. Unlike minio.Client.GetObject, which
// defers the request to the first Read, errors (ErrNotFound) are returned here.
func (s *Store) Get(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	if err := checkKey("get", key); err != nil {
		return nil, err
	}
	if off < 0 {
		return nil, fmt.Errorf("s3 get blob %s: negative offset %d", key, off)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("s3 get blob %s: %w", key, err)
	}
	if length == 0 {
		// Nothing to read, but the key must exist and off be in range.
		return s.emptyRange(ctx, key, off)
	}
	var opts minio.GetObjectOptions
	switch {
	case length < 0 || length > (1<<62)-off:
		if off > 0 {
			_ = opts.SetRange(off, 0) // bytes=off-
		}
	default:
		_ = opts.SetRange(off, off+length-1) // bytes=off-end, S3 clamps end
	}
	return s.get(ctx, key, off, opts, true)
}

// get reads the blob, following a pointer to its staging object; again
// allows one more read of the key if the staging object is gone.
func (s *Store) get(ctx context.Context, key string, off int64, opts minio.GetObjectOptions, again bool) (io.ReadCloser, error) {
	body, info, _, err := s.core.GetObject(ctx, s.bucket, s.objectName(key), opts)
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("s3 get blob %s: %w", key, storage.ErrNotFound)
		}
		// 416: off is at or past the end (any range of an empty object is,
		// and a pointer is an empty object).
		if errCode(err) == "InvalidRange" || errStatus(err) == http.StatusRequestedRangeNotSatisfiable {
			info, p, err := s.stat(ctx, key)
			switch {
			case err != nil && isNotFound(err):
				return nil, fmt.Errorf("s3 get blob %s: %w", key, storage.ErrNotFound)
			case err != nil:
				return nil, fmt.Errorf("s3 get blob %s: %w", key, unavailable(err))
			case p != nil:
				return s.getStaged(ctx, key, *p, off, opts, again)
			case off < info.Size && again:
				// The pointer was replaced by the blob meanwhile.
				return s.get(ctx, key, off, opts, false)
			case off != info.Size:
				return nil, fmt.Errorf("s3 get blob %s: offset %d is out of range (size %d)", key, off, info.Size)
			}
			return io.NopCloser(bytes.NewReader(nil)), nil
		}
		return nil, fmt.Errorf("s3 get blob %s: %w", key, unavailable(err))
	}
	if p, ok := pointerOf(info); ok {
		body.Close()
		return s.getStaged(ctx, key, p, off, opts, again)
	}
	return body, nil
}

// emptyRange returns an empty reader if off == size, an error otherwise.
func (s *Store) emptyRange(ctx context.Context, key string, off int64) (io.ReadCloser, error) {
	info, err := s.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	if off > info.Size {
		return nil, fmt.Errorf("s3 get blob %s: offset %d is out of range (size %d)", key, off, info.Size)
	}
	return io.NopCloser(bytes.NewReader(nil)), nil
}

// Stat implements storage.BlobStore.
func (s *Store) Stat(ctx context.Context, key string) (storage.BlobInfo, error) {
	if err := checkKey("stat", key); err != nil {
		return storage.BlobInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return storage.BlobInfo{}, fmt.Errorf("s3 stat blob %s: %w", key, err)
	}
	info, _, err := s.stat(ctx, key)
	if err != nil {
		if isNotFound(err) {
			return storage.BlobInfo{}, fmt.Errorf("s3 stat blob %s: %w", key, storage.ErrNotFound)
		}
		return storage.BlobInfo{}, fmt.Errorf("s3 stat blob %s: %w", key, unavailable(err))
	}
	return storage.BlobInfo{Key: key, Size: info.Size, ModTime: info.LastModified}, nil
}

// Delete implements storage.BlobStore. S3 DELETE succeeds on missing
// objects, so a HEAD first provides the ErrNotFound the interface promises.
// A pointer goes with its staging object.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := checkKey("delete", key); err != nil {
		return err
	}
	_, p, err := s.stat(ctx, key)
	if err != nil {
		if isNotFound(err) {
			return fmt.Errorf("s3 delete: s3 stat blob %s: %w", key, storage.ErrNotFound)
		}
		return fmt.Errorf("s3 delete blob %s: %w", key, unavailable(err))
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.objectName(key), minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("s3 delete blob %s: %w", key, unavailable(err))
	}
	if p != nil {
		// The pointer is gone, so the blob is: the staging object is
		// garbage that RecoverStaged would also remove.
		if err := s.client.RemoveObject(ctx, s.bucket, s.stagingName(p.id), minio.RemoveObjectOptions{}); err != nil {
			s.log.WarnContext(ctx, "s3 could not remove the staging object of a deleted blob; RecoverStaged will", "key", key, "staging", p.id, "error", err)
		}
	}
	s.log.DebugContext(ctx, "s3 blob deleted", "key", key)
	return nil
}

// List implements storage.BlobStore.
func (s *Store) List(ctx context.Context, prefix string, fn func(storage.BlobInfo) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3 list %q: %w", prefix, err)
	}
	if !isHex(prefix) {
		return nil // no valid key starts with it
	}
	// Cancelling stops minio-go's listing goroutine when fn ends early.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for obj := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{
		Prefix:    s.listPrefix(prefix),
		Recursive: true,
	}) {
		if obj.Err != nil {
			return fmt.Errorf("s3 list %q: %w", prefix, unavailable(obj.Err))
		}
		key, ok := s.keyOf(obj.Key)
		if !ok {
			s.log.DebugContext(ctx, "s3 list: ignoring object outside the blob layout", "object", obj.Key)
			continue
		}
		if !strings.HasPrefix(key, prefix) {
			continue
		}
		size := obj.Size
		if size == 0 && key != emptyKey {
			// Maybe a pointer: listings carry no metadata, ask for it.
			info, _, err := s.stat(ctx, key)
			switch {
			case err != nil && isNotFound(err):
				continue // deleted since it was listed
			case err != nil:
				return fmt.Errorf("s3 list %q: %w", prefix, unavailable(err))
			}
			size = info.Size
		}
		if err := fn(storage.BlobInfo{Key: key, Size: size, ModTime: obj.LastModified}); err != nil {
			return err
		}
	}
	// The iterator ends silently when ctx is cancelled mid-listing.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3 list %q: %w", prefix, err)
	}
	return nil
}

// AbortIncompleteUploads aborts multipart uploads under the blob prefix that
// were started more than olderThan ago, and returns how many it aborted.
// Uploads interrupted while the server was unreachable leave invisible parts
// that still take space; run this periodically if the bucket has no
// AbortIncompleteMultipartUpload lifecycle rule. Needs
// s3:ListBucketMultipartUploads and s3:AbortMultipartUpload.
func (s *Store) AbortIncompleteUploads(ctx context.Context, olderThan time.Duration) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cutoff := time.Now().Add(-olderThan)
	var stale []minio.ObjectMultipartInfo
	for _, dir := range []string{blobsDir, stagingDir} {
		uploads := s.client.ListIncompleteUploads(ctx, s.bucket, s.prefix+dir, true)
		for u := range uploads {
			if u.Err != nil {
				cancel()
				for range uploads { // let minio-go's goroutine finish
				}
				return 0, fmt.Errorf("s3 list incomplete uploads: %w", u.Err)
			}
			if u.Initiated.Before(cutoff) || olderThan <= 0 {
				stale = append(stale, u)
			}
		}
	}
	aborted := 0
	for _, u := range stale {
		if err := s.core.AbortMultipartUpload(ctx, s.bucket, u.Key, u.UploadID); err != nil && errCode(err) != minio.NoSuchUpload {
			return aborted, fmt.Errorf("s3 abort upload %s of %s: %w", u.UploadID, u.Key, err)
		}
		aborted++
		s.log.InfoContext(ctx, "s3 aborted incomplete upload", "object", u.Key, "initiated", u.Initiated)
	}
	return aborted, nil
}
