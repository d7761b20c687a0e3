package s3

// This file: uploads that start while the content is still being received
// (storage.StreamPutter). The parts go to a staging object, read from the
// caller's spool file as soon as the writer has passed their end; at
// Commit the content is filed under its key with a pointer object, and a
// background finisher copies it into place (pointer.go).

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"

	"notreasso/storage"
)

const (
	// stagingDir is the folder under Prefix that holds uploads whose key
	// was not known when they started.
	stagingDir = "staging/"
	// streamParallel is how many parts of one upload are in flight, as
	// minio-go does for a file.
	streamParallel = 4
)

var _ storage.StreamPutter = (*Store)(nil)

// streamPut is one upload to a staging object.
type streamPut struct {
	s        *Store
	ctx      context.Context // the parts' requests; cancelled by Abort or a failed part
	cancel   context.CancelFunc
	file     *os.File
	size     int64
	partSize int64
	nparts   int
	id       string // staging object is s.stagingName(id)
	name     string
	start    time.Time

	mu       sync.Mutex
	cond     *sync.Cond
	written  int64
	err      error // first failure: sticky
	uploadID string
	parts    []minio.CompletePart
	finished bool // Commit or Abort ran: nothing more to do
	done     chan struct{}
}

// StreamPut implements storage.StreamPutter: blobs larger than one part
// are uploaded while they are received; smaller ones (one PUT) are left to
// Put.
func (s *Store) StreamPut(ctx context.Context, path string, size int64) (storage.StreamPut, error) {
	if size <= s.partSize {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("s3 stream put: %w", err)
	}
	id := newStagingID()
	partSize := s.partSizeFor(size)
	pctx, cancel := context.WithCancel(ctx)
	p := &streamPut{
		s: s, ctx: pctx, cancel: cancel, file: f, size: size, partSize: partSize,
		nparts: int((size + partSize - 1) / partSize), id: id, name: s.stagingName(id),
		start: time.Now(), done: make(chan struct{}),
	}
	p.cond = sync.NewCond(&p.mu)
	p.parts = make([]minio.CompletePart, p.nparts)
	s.own(id)
	// Wake the dispatcher when the upload is given up.
	stop := context.AfterFunc(pctx, func() { p.mu.Lock(); p.cond.Broadcast(); p.mu.Unlock() })
	go func() {
		defer stop()
		p.run()
	}()
	return p, nil
}

// streamOptions are the options of a staging upload: with unsigned parts,
// it declares the CRC32C checksums they carry.
func (s *Store) streamOptions() minio.PutObjectOptions {
	o := minio.PutObjectOptions{ContentType: "application/octet-stream"}
	if s.unsigned {
		o.UserMetadata = map[string]string{"X-Amz-Checksum-Algorithm": "CRC32C"}
	}
	return o
}

// partOptions are the options of one part read from f at off. By default
// minio-go signs the content over plain HTTP with SigV4 streaming: a
// SHA-256 pass over every part, on both sides. With Config.UnsignedContent
// the part is sent as UNSIGNED-PAYLOAD (as minio-go does over TLS) with
// its CRC32C, which the S3 server checks: reading the part once more from
// the spool (page cache) and a CRC32C cost a small fraction of that.
func (s *Store) partOptions(f io.ReaderAt, off, n int64) (minio.PutObjectPartOptions, error) {
	if !s.unsigned {
		return minio.PutObjectPartOptions{}, nil
	}
	h := crc32.New(castagnoli)
	if _, err := io.Copy(h, io.NewSectionReader(f, off, n)); err != nil {
		return minio.PutObjectPartOptions{}, err
	}
	return minio.PutObjectPartOptions{
		DisableContentSha256: true,
		CustomHeader:         http.Header{"X-Amz-Checksum-Crc32c": {base64.StdEncoding.EncodeToString(h.Sum(nil))}},
	}, nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func newStagingID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Store) stagingName(id string) string { return s.prefix + stagingDir + id }

// fail records the first failure and stops the other parts.
func (p *streamPut) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.cond.Broadcast()
	p.mu.Unlock()
	p.cancel()
}

// run starts the multipart upload, then sends each part once the writer
// has passed its end, streamParallel at a time; it closes done when every
// part has been sent or the upload failed.
func (p *streamPut) run() {
	defer close(p.done)
	uploadID, err := p.s.core.NewMultipartUpload(p.ctx, p.s.bucket, p.name, p.s.streamOptions())
	if err != nil {
		p.fail(fmt.Errorf("starting the upload: %w", unavailable(err)))
		return
	}
	p.mu.Lock()
	p.uploadID = uploadID
	p.mu.Unlock()
	sem := make(chan struct{}, streamParallel)
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := range p.nparts {
		off := int64(i) * p.partSize
		n := min(p.partSize, p.size-off)
		p.mu.Lock()
		for p.written < off+n && p.err == nil && p.ctx.Err() == nil {
			p.cond.Wait()
		}
		err := p.err
		p.mu.Unlock()
		if err != nil || p.ctx.Err() != nil {
			return
		}
		select {
		case sem <- struct{}{}:
		case <-p.ctx.Done():
			return
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			// Read from the file, not from memory: a retry re-reads the part.
			opts, err := p.s.partOptions(p.file, off, n)
			if err != nil {
				p.fail(fmt.Errorf("reading part %d from the spool: %w", i+1, err))
				return
			}
			part, err := p.s.core.PutObjectPart(p.ctx, p.s.bucket, p.name, uploadID, i+1,
				io.NewSectionReader(p.file, off, n), n, opts)
			if err != nil {
				p.fail(fmt.Errorf("sending part %d: %w", i+1, unavailable(err)))
				return
			}
			p.mu.Lock()
			p.parts[i] = minio.CompletePart{PartNumber: i + 1, ETag: part.ETag, ChecksumCRC32C: part.ChecksumCRC32C}
			p.mu.Unlock()
		}()
	}
}

// Written implements storage.StreamPut.
func (p *streamPut) Written(n int64) {
	p.mu.Lock()
	if n > p.written {
		p.written = n
		p.cond.Broadcast()
	}
	p.mu.Unlock()
}

// Commit implements storage.StreamPut: it completes the staging object,
// then files it under key (see fileStaged).
func (p *streamPut) Commit(ctx context.Context, key string) error {
	if err := checkKey("put", key); err != nil {
		p.Abort()
		return err
	}
	p.mu.Lock()
	written, finished := p.written, p.finished
	p.mu.Unlock()
	if finished {
		return fmt.Errorf("s3 put blob %s: upload already committed or aborted", key)
	}
	if written != p.size {
		p.Abort()
		return fmt.Errorf("s3 put blob %s: %d of %d bytes written: %w", key, written, p.size, storage.ErrSizeMismatch)
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		p.Abort()
		return fmt.Errorf("s3 put blob %s: %w", key, ctx.Err())
	}
	p.mu.Lock()
	p.finished = true
	err, uploadID := p.err, p.uploadID
	p.mu.Unlock()
	p.file.Close()
	defer p.cancel()
	if err == nil {
		err = p.ctx.Err() // the caller's ctx ended while the parts were sent
	}
	if err != nil {
		p.cleanup(uploadID)
		return fmt.Errorf("s3 put blob %s: %w", key, err)
	}
	if _, err := p.s.core.CompleteMultipartUpload(ctx, p.s.bucket, p.name, uploadID, p.parts,
		p.s.streamOptions()); err != nil {
		p.cleanup(uploadID)
		return fmt.Errorf("s3 put blob %s: completing the upload: %w", key, unavailable(err))
	}
	if err := p.s.verify(ctx, p.name, p.size); err != nil {
		p.s.removeStaging(ctx, p.id)
		p.s.disown(p.id)
		return fmt.Errorf("s3 put blob %s: %w", key, err)
	}
	sent := time.Since(p.start)
	// The staging object exists: filing it must not stop half-way because
	// the caller gave up (a pointer written but not acknowledged would be
	// cleaned up as if it did not exist).
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if err := p.s.fileStaged(fctx, key, p.id, p.size); err != nil {
		return fmt.Errorf("s3 put blob %s: %w", key, err)
	}
	p.s.log.DebugContext(ctx, "s3 blob stored through staging", "key", key, "size", p.size, "staging", p.id, "duration", sent)
	return nil
}

// Abort implements storage.StreamPut.
func (p *streamPut) Abort() {
	p.mu.Lock()
	if p.finished {
		p.mu.Unlock()
		return
	}
	p.finished = true
	if p.err == nil {
		p.err = errors.New("aborted")
	}
	p.cond.Broadcast()
	p.mu.Unlock()
	p.cancel()
	// The parts in flight end soon (their ctx is cancelled); the multipart
	// upload is aborted behind the caller's back, not on its time.
	p.s.bg.Add(1)
	go func() {
		defer p.s.bg.Done()
		<-p.done
		p.file.Close()
		p.mu.Lock()
		uploadID := p.uploadID
		p.mu.Unlock()
		p.cleanup(uploadID)
	}()
}

// cleanup aborts the multipart upload (best effort: AbortIncompleteUploads
// removes what is left if the server is unreachable now).
func (p *streamPut) cleanup(uploadID string) {
	defer p.s.disown(p.id)
	if uploadID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if err := p.s.core.AbortMultipartUpload(ctx, p.s.bucket, p.name, uploadID); err != nil && errCode(err) != minio.NoSuchUpload {
		p.s.log.WarnContext(ctx, "s3 could not abort a staging upload; AbortIncompleteUploads will", "object", p.name, "error", err)
	}
}
