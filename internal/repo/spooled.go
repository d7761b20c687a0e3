package repo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"notreasso/internal/ioctx"
	"os"

	"notreasso/internal/acl"
	"notreasso/storage"
)

// CheckPut reports whether p may store a file of size bytes (-1: unknown)
// at path, before any byte is sent: resumable uploads ask at their start,
// so a refused gigabyte is never transferred.
func (s *Tree) CheckPut(ctx context.Context, p acl.Principal, path string, size int64) error {
	parentPath, name, err := parentAndName(path)
	if err != nil {
		return err
	}
	if size >= 0 && s.opts.MaxUpload > 0 && size > s.opts.MaxUpload {
		return fmt.Errorf("%w: %d bytes announced, the limit is %d", ErrTooLarge, size, s.opts.MaxUpload)
	}
	return s.checkPut(ctx, p, parentPath, name)
}

// PutSpooled commits a file that is already complete on disk (a resumable
// upload assembled chunk by chunk) as the file at path, exactly as Put
// would: rights checked again, hashed in one read, stored (renamed into a
// local store when file is in SpoolDir), recorded in one transaction. The
// file is consumed: it is gone afterwards, whatever the outcome.
func (s *Tree) PutSpooled(ctx context.Context, p acl.Principal, path, file string, o PutOptions) (Node, bool, error) {
	defer os.Remove(file)
	parentPath, name, err := parentAndName(path)
	if err != nil {
		return Node{}, false, err
	}
	if err := s.checkPut(ctx, p, parentPath, name); err != nil {
		return Node{}, false, err
	}
	f, err := os.Open(file)
	if err != nil {
		return Node{}, false, fmt.Errorf("upload %s: open spooled file: %w", path, err)
	}
	// A store that can (S3) sends the complete file while it is hashed.
	var stream storage.StreamPut
	var streamed int64
	if st, err := f.Stat(); err == nil {
		streamed = st.Size()
		if stream = s.startStream(ctx, file, streamed); stream != nil {
			stream.Written(st.Size())
			defer stream.Abort() // no-op once committed
		}
	}
	h := sha256.New()
	head := &headBuffer{max: sniffLen}
	n, err := io.Copy(io.MultiWriter(h, head), ioctx.Reader(ctx, f))
	f.Close()
	if err != nil {
		return Node{}, false, fmt.Errorf("upload %s: hash spooled file: %w", path, err)
	}
	switch {
	case o.Size >= 0 && n != o.Size:
		return Node{}, false, fmt.Errorf("upload %s: %w: %d of %d bytes", path, ErrIncomplete, n, o.Size)
	case s.opts.MaxUpload > 0 && n > s.opts.MaxUpload:
		return Node{}, false, fmt.Errorf("upload %s: %w: the limit is %d bytes", path, ErrTooLarge, s.opts.MaxUpload)
	}
	if stream != nil && n != streamed {
		stream.Abort() // the file changed under us: send what was hashed
		stream = nil
	}
	sp := &spooled{path: file, hash: hex.EncodeToString(h.Sum(nil)), size: n, mime: DetectMime(head.b, name), stream: stream}
	if err := s.storeBlob(ctx, sp); err != nil {
		return Node{}, false, fmt.Errorf("upload %s: %w", path, err)
	}
	return s.commitPut(ctx, p, parentPath, name, sp, o)
}
