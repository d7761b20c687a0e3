package s3

// This file: pointers. A streamed upload (stream.go) ends as a staging
// object whose key is known only at the end. Copying it to the key takes
// about as long as the upload itself on some servers, so it is not done
// while the client waits: Commit writes a pointer, a zero-length object at
// the key naming the staging object and the real size, and a finisher in
// the background copies the staging object over the pointer, then deletes
// it. Every read follows pointers; a crash leaves pointers and staging
// objects that RecoverStaged finishes or removes.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"notreasso/storage"
)

const (
	// metaStaged and metaSize are the pointer's user metadata (sent as
	// X-Amz-Meta-Notreasso-Staged and X-Amz-Meta-Notreasso-Size).
	metaStaged = "Notreasso-Staged"
	metaSize   = "Notreasso-Size"
	// finishParallel bounds the background copies running at once.
	finishParallel = 2
	// closeWait is how long Close lets background copies finish.
	closeWait = time.Minute
	// emptyKey is the SHA-256 of no bytes: the one key whose real blob
	// has zero length. Other zero-length objects may be pointers.
	emptyKey = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// pointer is what a pointer object says.
type pointer struct {
	id   string // staging object s.stagingName(id)
	size int64
}

// pointerOf reads a pointer from an object's metadata.
func pointerOf(info minio.ObjectInfo) (pointer, bool) {
	if info.Size != 0 {
		return pointer{}, false
	}
	var p pointer
	for k, v := range info.UserMetadata {
		switch {
		case strings.EqualFold(k, metaStaged):
			p.id = v
		case strings.EqualFold(k, metaSize):
			p.size, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if p.id == "" || !isHex(p.id) || p.size <= 0 {
		return pointer{}, false
	}
	return p, true
}

// own marks a staging object as handled by this process (an upload or a
// finisher), so RecoverStaged leaves it alone.
func (s *Store) own(id string) {
	s.mu.Lock()
	s.owned[id] = true
	s.mu.Unlock()
}

func (s *Store) disown(id string) {
	s.mu.Lock()
	delete(s.owned, id)
	s.mu.Unlock()
}

// tryOwn owns id unless it is already owned.
func (s *Store) tryOwn(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.owned[id] {
		return false
	}
	s.owned[id] = true
	return true
}

// fileStaged files the complete staging object id under key: if the key
// holds a blob (or a pointer of another upload of the same content) the
// staging object is dropped; otherwise a pointer is written and a finisher
// started. On error nothing is left under key.
func (s *Store) fileStaged(ctx context.Context, key, id string, size int64) error {
	name := s.objectName(key)
	info, err := s.client.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
	switch {
	case err == nil:
		// Keys are content hashes: the stored blob already holds this content.
		if p, ok := pointerOf(info); ok {
			info.Size = p.size
		}
		if info.Size != size {
			s.log.WarnContext(ctx, "s3 put of existing blob with another size; keeping the stored one",
				"key", key, "stored_size", info.Size, "size", size)
		}
		s.removeStaging(ctx, id)
		s.disown(id)
		return nil
	case !isNotFound(err):
		s.removeStaging(ctx, id)
		s.disown(id)
		return fmt.Errorf("checking existing: %w", unavailable(err))
	}
	_, err = s.client.PutObject(ctx, s.bucket, name, strings.NewReader(""), 0, minio.PutObjectOptions{
		ContentType:  "application/octet-stream",
		UserMetadata: map[string]string{metaStaged: id, metaSize: strconv.FormatInt(size, 10)},
	})
	if err != nil {
		// The pointer may have been written all the same: keep the staging
		// object it would name. RecoverStaged finishes or removes it.
		s.disown(id)
		return fmt.Errorf("writing the pointer: %w", unavailable(err))
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer s.disown(id)
		s.finish(key, pointer{id: id, size: size})
	}()
	return nil
}

// finish runs in the background: it waits for a slot (and, in tests, for
// holdFinish), then moves the staging object into place.
func (s *Store) finish(key string, p pointer) {
	if s.holdFinish != nil {
		select {
		case <-s.holdFinish:
		case <-s.bgCtx.Done():
			return
		}
	}
	select {
	case s.finishSem <- struct{}{}:
		defer func() { <-s.finishSem }()
	case <-s.bgCtx.Done():
		return
	}
	start := time.Now()
	if err := s.complete(s.bgCtx, key, p); err != nil {
		// The pointer stays valid; RecoverStaged retries later.
		s.log.Warn("s3 could not move a staged blob into place; it stays readable through its pointer", "key", key,
			"staging", p.id, "error", err)
		return
	}
	s.log.Debug("s3 staged blob moved into place", "key", key, "size", p.size, "duration", time.Since(start))
}

// complete copies staging object p over the pointer at key, if key still
// is that pointer, then deletes the staging object.
func (s *Store) complete(ctx context.Context, key string, p pointer) error {
	name := s.objectName(key)
	info, err := s.client.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
	if err != nil && !isNotFound(err) {
		return unavailable(err)
	}
	if cur, ok := pointerOf(info); err == nil && ok && cur.id == p.id {
		// A server-side copy; ComposeObject switches to a multipart copy
		// above 5 GiB. The copy replaces the pointer in one step.
		if _, err := s.client.ComposeObject(ctx, minio.CopyDestOptions{Bucket: s.bucket, Object: name},
			minio.CopySrcOptions{Bucket: s.bucket, Object: s.stagingName(p.id)}); err != nil {
			if !isNotFound(err) {
				return fmt.Errorf("copying: %w", unavailable(err))
			}
			// The staging object is gone: someone else finished (or
			// deleted) the blob. Nothing to remove.
			return nil
		}
		if err := s.verify(ctx, name, p.size); err != nil {
			return err // left as is: a pointer can be fixed, a lost blob not
		}
	}
	// Moved into place, or the key is no longer this pointer (deleted,
	// or stored by someone else): the staging object has no use.
	if err := s.client.RemoveObject(ctx, s.bucket, s.stagingName(p.id), minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("removing the staging object: %w", unavailable(err))
	}
	return nil
}

// removeStaging deletes a staging object, best effort (RecoverStaged
// removes what this leaves).
func (s *Store) removeStaging(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if err := s.client.RemoveObject(ctx, s.bucket, s.stagingName(id), minio.RemoveObjectOptions{}); err != nil {
		s.log.WarnContext(ctx, "s3 could not remove a staging object; RecoverStaged will", "staging", id, "error", err)
	}
}

// stat is StatObject on a blob, following a pointer for the size.
func (s *Store) stat(ctx context.Context, key string) (minio.ObjectInfo, *pointer, error) {
	info, err := s.client.StatObject(ctx, s.bucket, s.objectName(key), minio.StatObjectOptions{})
	if err != nil {
		return info, nil, err
	}
	if p, ok := pointerOf(info); ok {
		info.Size = p.size
		return info, &p, nil
	}
	return info, nil, nil
}

// getStaged reads a range of the staging object a pointer names. If the
// finisher removed it meanwhile the blob is in place: read the key again,
// once.
func (s *Store) getStaged(ctx context.Context, key string, p pointer, off int64, opts minio.GetObjectOptions, again bool) (io.ReadCloser, error) {
	body, _, _, err := s.core.GetObject(ctx, s.bucket, s.stagingName(p.id), opts)
	switch {
	case err == nil:
		return body, nil
	case isNotFound(err) && again:
		return s.get(ctx, key, off, opts, false)
	case isNotFound(err):
		return nil, fmt.Errorf("s3 get blob %s: staging object gone twice: %w", key, storage.ErrUnavailable)
	case errCode(err) == "InvalidRange" || errStatus(err) == 416:
		if off > p.size {
			return nil, fmt.Errorf("s3 get blob %s: offset %d is past the end (size %d)", key, off, p.size)
		}
		return io.NopCloser(strings.NewReader("")), nil
	}
	return nil, fmt.Errorf("s3 get blob %s: %w", key, unavailable(err))
}

// Close lets the background copies end (up to a minute), then stops them;
// what is left is finished by RecoverStaged later, and reads follow the
// pointers meanwhile.
func (s *Store) Close() error {
	done := make(chan struct{})
	go func() { s.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(closeWait):
		s.log.Warn("s3 stopping background copies; the next start finishes them")
	}
	s.bgCancel()
	<-done
	return nil
}

// RecoverStaged cleans up after processes that stopped in the middle of a
// streamed upload. For each staging object older than finishAfter that no
// upload or finisher of this process owns, it reads the object to compute
// its key; if the key holds a pointer to it, it finishes the move (always
// safe); else, if the object is older than removeAfter, it deletes it (the
// upload never committed, or its blob was stored or collected since). It
// returns how many it finished and removed. The server runs it at start
// and then periodically. removeAfter must exceed the longest upload of
// another process sharing the bucket: some servers (AWS) date a multipart
// object from the upload's start, and a sweep in another process must not
// remove a staging object whose pointer is just being written. Durations
// <= 0 take every object.
func (s *Store) RecoverStaged(ctx context.Context, finishAfter, removeAfter time.Duration) (finished, removed int, err error) {
	now := time.Now()
	older := func(t time.Time, d time.Duration) bool { return d <= 0 || t.Before(now.Add(-d)) }
	type staged struct {
		id        string
		size      int64
		removable bool
	}
	var old []staged
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for obj := range s.client.ListObjectsIter(lctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + stagingDir, Recursive: true}) {
		if obj.Err != nil {
			return 0, 0, fmt.Errorf("s3 list staging objects: %w", unavailable(obj.Err))
		}
		id := strings.TrimPrefix(obj.Key, s.prefix+stagingDir)
		if older(obj.LastModified, finishAfter) && isHex(id) && id != "" {
			old = append(old, staged{id, obj.Size, older(obj.LastModified, removeAfter)})
		}
	}
	for _, st := range old {
		if !s.tryOwn(st.id) {
			continue
		}
		res, err := s.recoverOne(ctx, st.id, st.size, st.removable)
		s.disown(st.id)
		if err != nil {
			return finished, removed, fmt.Errorf("s3 recover staging object %s: %w", st.id, err)
		}
		switch res {
		case recoverFinished:
			finished++
		case recoverRemoved:
			removed++
		}
	}
	if finished+removed > 0 {
		s.log.InfoContext(ctx, "s3 staging objects recovered", "finished", finished, "removed", removed)
	}
	return finished, removed, nil
}

type recoverResult int

const (
	recoverKept recoverResult = iota
	recoverFinished
	recoverRemoved
)

// recoverOne hashes staging object id and finishes it, or removes it if
// removable.
func (s *Store) recoverOne(ctx context.Context, id string, size int64, removable bool) (recoverResult, error) {
	body, _, _, err := s.core.GetObject(ctx, s.bucket, s.stagingName(id), minio.GetObjectOptions{})
	if err != nil {
		if isNotFound(err) {
			return recoverKept, nil // finished by another process meanwhile
		}
		return recoverKept, unavailable(err)
	}
	h := sha256.New()
	_, err = io.Copy(h, body)
	body.Close()
	if err != nil {
		return recoverKept, unavailable(err)
	}
	key := hex.EncodeToString(h.Sum(nil))
	_, p, err := s.stat(ctx, key)
	if err != nil && !isNotFound(err) {
		return recoverKept, unavailable(err)
	}
	if err == nil && p != nil && p.id == id {
		if p.size != size {
			return recoverKept, fmt.Errorf("pointer at %s says %d bytes, the staging object has %d", key, p.size, size)
		}
		if err := s.complete(ctx, key, *p); err != nil {
			return recoverKept, err
		}
		s.log.InfoContext(ctx, "s3 finished moving a staged blob into place", "key", key, "staging", id)
		return recoverFinished, nil
	}
	if !removable {
		return recoverKept, nil
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.stagingName(id), minio.RemoveObjectOptions{}); err != nil {
		return recoverKept, unavailable(err)
	}
	s.log.InfoContext(ctx, "s3 removed an unused staging object", "staging", id, "key", key)
	return recoverRemoved, nil
}
