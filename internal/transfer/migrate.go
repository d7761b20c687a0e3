package transfer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"sort"
	"sync"

	"notreasso/storage"
)

// ErrCorrupt is reported for a source blob whose content does not hash to
// its key: it is not copied.
var ErrCorrupt = errors.New("content does not match its SHA-256 key")

// MigrateOptions qualifies a migration between two blob stores.
type MigrateOptions struct {
	Workers int // blobs copied at once (4 if 0)
	Logger  *slog.Logger
	// OnList is called once the source is listed; OnProgress as bytes are
	// copied or found already there (from several goroutines); OnBlob after
	// each blob with its outcome.
	OnList     func(blobs int, bytes int64)
	OnProgress func(bytes int64)
	OnBlob     func(key string, outcome Outcome)
}

// Outcome is what happened to one blob.
type Outcome int

const (
	Copied   Outcome = iota // copied and verified
	Present                 // already at the destination with the right size
	Replaced                // the destination held it with a wrong size: deleted and copied again
	Corrupt                 // the source content does not match the key: not copied
	Failed                  // another error: not copied
)

// MigrateReport says what a migration did.
type MigrateReport struct {
	Blobs       int   // blobs in the source
	Bytes       int64 // their total size
	Copied      int   // copied (Replaced ones included)
	CopiedBytes int64
	Present     int // already at the destination with the right size
	Replaced    int // found at the destination with a wrong size, copied again
	// Corrupt lists source blobs whose content does not hash to their key;
	// Failed the others that could not be copied, with the reason.
	Corrupt []string
	Failed  map[string]string
}

// Complete reports whether every source blob is now at the destination.
func (r MigrateReport) Complete() bool {
	return len(r.Corrupt) == 0 && len(r.Failed) == 0 && r.Copied+r.Present == r.Blobs
}

// Migrate copies every blob of src to dst. Each blob's content is hashed as
// it streams and must match its key (a SHA-256): a mismatch fails that Put,
// so nothing is stored, and the blob is reported in Corrupt. Blobs already
// at dst with the right size are skipped, so an interrupted migration is
// resumed by running it again (stores' Puts are atomic: an interruption
// leaves no partial blob). A blob that dst holds with another size is
// deleted there and copied again.
//
// A failure of one blob is recorded and the others go on, except when a
// store is unreachable (storage.ErrUnavailable) or ctx ends: Migrate then
// stops and returns the error with the report so far. Neither store may be
// written by anyone else meanwhile (stop the server).
func Migrate(ctx context.Context, src, dst storage.BlobStore, o MigrateOptions) (MigrateReport, error) {
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	var rep MigrateReport
	var blobs []storage.BlobInfo
	err := src.List(ctx, "", func(b storage.BlobInfo) error {
		blobs = append(blobs, b)
		rep.Bytes += b.Size
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("list the source blobs: %w", err)
	}
	sort.Slice(blobs, func(i, j int) bool { return blobs[i].Key < blobs[j].Key })
	rep.Blobs = len(blobs)
	if o.OnList != nil {
		o.OnList(len(blobs), rep.Bytes)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan storage.BlobInfo)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				outcome, n, err := migrateOne(ctx, src, dst, b, o.OnProgress)
				mu.Lock()
				switch outcome {
				case Copied, Replaced:
					rep.Copied++
					rep.CopiedBytes += n
					if outcome == Replaced {
						rep.Replaced++
					}
				case Present:
					rep.Present++
				case Corrupt:
					rep.Corrupt = append(rep.Corrupt, b.Key)
					o.Logger.Warn("migrate: source blob is corrupt, not copied", "key", b.Key, "err", err)
				case Failed:
					if ctx.Err() == nil && errors.Is(err, storage.ErrUnavailable) {
						cancel(err)
					}
					if ctx.Err() == nil {
						if rep.Failed == nil {
							rep.Failed = map[string]string{}
						}
						rep.Failed[b.Key] = err.Error()
						o.Logger.Warn("migrate: blob not copied", "key", b.Key, "err", err)
					}
				}
				mu.Unlock()
				if o.OnBlob != nil && ctx.Err() == nil {
					o.OnBlob(b.Key, outcome)
				}
			}
		}()
	}
feed:
	for _, b := range blobs {
		select {
		case work <- b:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	sort.Strings(rep.Corrupt)
	if err := context.Cause(ctx); err != nil {
		return rep, fmt.Errorf("migration interrupted: %w", err)
	}
	return rep, nil
}

// migrateOne copies one blob unless dst has it, returning the outcome and
// the bytes copied.
func migrateOne(ctx context.Context, src, dst storage.BlobStore, b storage.BlobInfo, progress func(int64)) (Outcome, int64, error) {
	replaced := false
	switch info, err := dst.Stat(ctx, b.Key); {
	case err == nil && info.Size == b.Size:
		if progress != nil {
			progress(b.Size)
		}
		return Present, 0, nil
	case err == nil:
		// Keys are content hashes: another size is a damaged copy.
		if err := dst.Delete(ctx, b.Key); err != nil {
			return Failed, 0, fmt.Errorf("delete the damaged copy (%d bytes instead of %d) at the destination: %w", info.Size, b.Size, err)
		}
		replaced = true
	case !errors.Is(err, storage.ErrNotFound):
		return Failed, 0, fmt.Errorf("check the destination: %w", err)
	}
	if len(b.Key) != sha256.Size*2 {
		return Corrupt, 0, fmt.Errorf("key %s is not a SHA-256: %w", b.Key, ErrCorrupt)
	}
	r, err := src.Get(ctx, b.Key, 0, -1)
	if err != nil {
		return Failed, 0, fmt.Errorf("read the source: %w", err)
	}
	defer r.Close()
	vr := &verifyingReader{r: r, h: sha256.New(), key: b.Key, progress: progress}
	if err := dst.Put(ctx, b.Key, vr, b.Size); err != nil {
		if vr.err != nil {
			return Corrupt, 0, vr.err
		}
		return Failed, 0, fmt.Errorf("write the destination: %w", err)
	}
	if !vr.verified {
		// The store kept a blob it had (a concurrent writer) without
		// reading ours: fine, but check it is whole.
		info, err := dst.Stat(ctx, b.Key)
		if err != nil || info.Size != b.Size {
			return Failed, 0, fmt.Errorf("the destination did not read the content (size %d, err %v)", info.Size, err)
		}
	}
	if replaced {
		return Replaced, b.Size, nil
	}
	return Copied, b.Size, nil
}

// verifyingReader hashes what passes through and, at the end of the
// stream, fails instead of returning io.EOF if the hash is not the key, so
// the destination's Put fails and stores nothing.
type verifyingReader struct {
	r        io.Reader
	h        hash.Hash
	n        int64
	key      string
	progress func(int64)
	verified bool
	err      error
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	if n > 0 {
		v.h.Write(p[:n])
		v.n += int64(n)
		if v.progress != nil {
			v.progress(int64(n))
		}
	}
	if err == io.EOF {
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.key {
			v.err = fmt.Errorf("blob %s: %w (content hashes to %s, %d bytes)", v.key, ErrCorrupt, got, v.n)
			return n, v.err
		}
		v.verified = true
	}
	return n, err
}
