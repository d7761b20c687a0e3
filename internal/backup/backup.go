package backup

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"notreasso/internal/repo"
	"notreasso/internal/retention"
	"notreasso/storage"
)

// Format names the manifest layout.
const Format = "notreasso-backup/1"

// Manifest describes one snapshot; it is written last, so a snapshot
// without its manifest is incomplete and ignored.
type Manifest struct {
	Format         string    `json:"format"`
	Created        time.Time `json:"created"`
	Snapshot       string    `json:"snapshot"` // the gzipped SQLite database, in meta/
	SnapshotSHA256 string    `json:"snapshot_sha256"`
	SnapshotSize   int64     `json:"snapshot_size"`
	DatabaseSize   int64     `json:"database_size"` // uncompressed
	Schema         int64     `json:"schema"`        // migration version
	Folders        int       `json:"folders"`
	Files          int       `json:"files"`
	Versions       int       `json:"versions"`
	Blobs          int       `json:"blobs"`
	Bytes          int64     `json:"bytes"` // content, each blob once
	Version        string    `json:"version"`
}

// Options qualifies a backup.
type Options struct {
	TempDir string // where the snapshot is built (the data disk); os.TempDir() if empty
	Keep    int    // snapshots to keep in the target, newest first (0: all)
	// Thin, when set, decides which snapshots stay by their age (daily,
	// weekly, monthly), as the version retention does; Keep then caps them.
	Thin     *retention.Policy
	Location *time.Location // where days and months begin for Thin (UTC if nil)
	// Recopy names contents to copy again even if the target has them with
	// the right size: a verification found them damaged there.
	Recopy   []string
	Now      func() time.Time // the snapshot's time (time.Now if nil)
	Workers  int              // blobs copied at once (4 if 0)
	LockWait time.Duration    // how long to wait for a running collection
	Locked   bool             // the caller holds the maintenance lock already
	Version  string           // of the binary, recorded in the manifest
	OnScan   func(blobs int, bytes int64)
	OnCopy   func(bytes int64)
}

// Report says what a backup did.
type Report struct {
	Name        string // manifest name in meta/
	Manifest    Manifest
	Copied      int // blobs copied this time
	CopiedBytes int64
	Present     int      // already in the target
	Missing     []string // referenced by versions but absent from the live store: the backup is incomplete
	Pruned      []string // older snapshots removed (Keep)
	Snapshots   int      // snapshots the target keeps after this one
	Stored      int64    // bytes of content the target holds
	Swept       int      // contents deleted from the target after pruning (sweep.go)
	Reclaimed   int64    // their bytes
}

// Backup snapshots the metadata and copies the blobs the snapshot refers
// to that the target lacks. It holds the maintenance lock, so no
// collection deletes content meanwhile; uploads go on.
func Backup(ctx context.Context, r *repo.Service, t Target, o Options) (Report, error) {
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if !o.Locked {
		release, err := waitLock(ctx, r, o.LockWait)
		if err != nil {
			return Report{}, err
		}
		defer release()
	}
	tmp, err := os.MkdirTemp(o.TempDir, "backup-")
	if err != nil {
		return Report{}, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(tmp)
	now := time.Now().UTC()
	if o.Now != nil {
		now = o.Now().UTC()
	}
	base := "notreasso-" + now.Format("20060102T150405.000Z")
	rep := Report{Name: base + ".json", Manifest: Manifest{Format: Format, Created: now, Snapshot: base + ".db.gz", Version: o.Version}}
	m := &rep.Manifest

	dbFile := filepath.Join(tmp, "meta.db")
	if err := r.Maintenance.SnapshotDB(ctx, dbFile); err != nil {
		return rep, err
	}
	if err := scrub(ctx, dbFile); err != nil {
		return rep, err
	}
	blobs, err := describe(ctx, dbFile, m)
	if err != nil {
		return rep, err
	}
	if o.OnScan != nil {
		o.OnScan(len(blobs), m.Bytes)
	}
	if err := copyBlobs(ctx, r.Index.Content(), t, blobs, o, &rep); err != nil {
		return rep, err
	}
	gz := filepath.Join(tmp, m.Snapshot)
	if m.SnapshotSHA256, m.SnapshotSize, err = compress(dbFile, gz); err != nil {
		return rep, err
	}
	f, err := os.Open(gz)
	if err != nil {
		return rep, err
	}
	defer f.Close()
	if err := t.PutMeta(ctx, m.Snapshot, f, m.SnapshotSize); err != nil {
		return rep, fmt.Errorf("store the snapshot: %w", err)
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := t.PutMeta(ctx, rep.Name, strings.NewReader(string(b)), int64(len(b))); err != nil {
		return rep, fmt.Errorf("store the manifest: %w", err)
	}
	if rep.Pruned, rep.Snapshots, err = prune(ctx, t, o, now); err != nil {
		return rep, err
	}
	if err := sweepAfterPrune(ctx, t, o, len(rep.Pruned) > 0, &rep); err != nil {
		return rep, err
	}
	if len(rep.Missing) > 0 {
		return rep, fmt.Errorf("backup written, but %d contents referenced by versions are missing from the live store (run notreasso check)", len(rep.Missing))
	}
	return rep, nil
}

// waitLock takes the maintenance lock, waiting for a collection to end.
func waitLock(ctx context.Context, r *repo.Service, wait time.Duration) (func(), error) {
	deadline := time.Now().Add(wait)
	for {
		release, err := r.Maintenance.MaintenanceLock(ctx, "backup")
		if err == nil || !errors.Is(err, repo.ErrUnavailable) || time.Now().After(deadline) {
			return release, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

type blobRef struct {
	key  string
	size int64
}

// scrub removes from the snapshot what must not outlive this instance:
// browser sessions (a restored one would log its holder in), the
// instance's signing keys, and queued e-mails that carry a password or
// address link (their tokens, kept only as hashes elsewhere, are in the
// message), and the SMTP relay's password saved from the admin page (a
// restored server asks for it again). secure_delete overwrites the freed pages, so nothing of them
// stays in the file.
func scrub(ctx context.Context, dbFile string) error {
	db, err := sql.Open("sqlite", "file:"+dbFile+"?_pragma=secure_delete(1)")
	if err != nil {
		return fmt.Errorf("scrub the snapshot: %w", err)
	}
	defer db.Close()
	for _, q := range []string{`DELETE FROM sessions`, `DELETE FROM server_keys`,
		`DELETE FROM mail_outbox WHERE kind IN ('invitation', 'reset', 'email_change')`, `UPDATE mail_relay SET password = ''`} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("scrub the snapshot: %s: %w", q, err)
		}
	}
	return db.Close()
}

// describe reads counts and the blobs to keep from the snapshot.
func describe(ctx context.Context, dbFile string, m *Manifest) ([]blobRef, error) {
	st, err := os.Stat(dbFile)
	if err != nil {
		return nil, err
	}
	m.DatabaseSize = st.Size()
	db, err := sql.Open("sqlite", "file:"+dbFile+"?mode=ro")
	if err != nil {
		return nil, fmt.Errorf("read the snapshot: %w", err)
	}
	defer db.Close()
	err = db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM nodes WHERE kind = 'dir') - 1, (SELECT count(*) FROM nodes WHERE kind = 'file'),
		(SELECT count(*) FROM versions), (SELECT COALESCE(max(version_id), 0) FROM goose_db_version)`).Scan(&m.Folders, &m.Files, &m.Versions, &m.Schema)
	if err != nil {
		return nil, fmt.Errorf("read the snapshot: %w", err)
	}
	rows, err := db.QueryContext(ctx, `SELECT sha256, size FROM blobs b WHERE EXISTS (SELECT 1 FROM versions v WHERE v.blob = b.sha256) ORDER BY sha256`)
	if err != nil {
		return nil, fmt.Errorf("read the snapshot: %w", err)
	}
	defer rows.Close()
	var out []blobRef
	for rows.Next() {
		var b blobRef
		if err := rows.Scan(&b.key, &b.size); err != nil {
			return nil, err
		}
		out = append(out, b)
		m.Bytes += b.size
	}
	m.Blobs = len(out)
	return out, rows.Err()
}

// copyBlobs copies to the target the blobs it lacks, checking each hash;
// with the bucket as target, it only checks they are all there.
func copyBlobs(ctx context.Context, live storage.BlobReader, t Target, blobs []blobRef, o Options, rep *Report) error {
	dst := t.Blobs()
	have := map[string]int64{}
	var list storage.BlobReader = live
	if dst != nil {
		list = dst
	}
	if err := list.List(ctx, "", func(b storage.BlobInfo) error { have[b.Key] = b.Size; return nil }); err != nil {
		return fmt.Errorf("list %s: %w", t, err)
	}
	for _, size := range have {
		rep.Stored += size
	}
	recopy := map[string]bool{}
	for _, k := range o.Recopy {
		recopy[k] = true
	}
	var todo []blobRef
	for _, b := range blobs {
		if size, ok := have[b.key]; ok && size == b.size && (dst == nil || !recopy[b.key]) {
			rep.Present++
			if o.OnCopy != nil {
				o.OnCopy(b.size)
			}
			continue
		}
		if dst == nil {
			rep.Missing = append(rep.Missing, b.key)
			continue
		}
		todo = append(todo, b)
	}
	var mu sync.Mutex
	var firstErr error
	work := make(chan blobRef)
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				err := copyOne(ctx, live, dst, b)
				mu.Lock()
				switch {
				case errors.Is(err, storage.ErrNotFound):
					rep.Missing = append(rep.Missing, b.key)
				case err != nil && firstErr == nil:
					firstErr = err
				case err == nil:
					rep.Copied++
					rep.CopiedBytes += b.size
					rep.Stored += b.size - have[b.key]
				}
				mu.Unlock()
				if o.OnCopy != nil {
					o.OnCopy(b.size)
				}
			}
		}()
	}
	for _, b := range todo {
		if ctx.Err() != nil || firstErr != nil {
			break
		}
		work <- b
	}
	close(work)
	wg.Wait()
	sort.Strings(rep.Missing)
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

func copyOne(ctx context.Context, from storage.BlobReader, to storage.BlobStore, b blobRef) error {
	rc, err := from.Get(ctx, b.key, 0, -1)
	if err != nil {
		return fmt.Errorf("copy %s: %w", b.key, err)
	}
	defer rc.Close()
	// A damaged blob is not copied over a good backup: the hash is checked.
	// A damaged copy in the target is removed first (stores keep what they
	// have under a key).
	if _, err := to.Stat(ctx, b.key); err == nil {
		if err := to.Delete(ctx, b.key); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("replace %s: %w", b.key, err)
		}
	}
	if err := to.Put(ctx, b.key, &repo.VerifyingReader{R: rc, Want: b.key}, b.size); err != nil {
		return fmt.Errorf("copy %s: %w", b.key, err)
	}
	return nil
}

// compress gzips src into dst and returns the SHA-256 and size of dst.
func compress(src, dst string) (string, int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", 0, err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return "", 0, err
	}
	defer out.Close()
	h := sha256.New()
	zw := gzip.NewWriter(io.MultiWriter(out, h))
	if _, err := io.Copy(zw, in); err != nil {
		return "", 0, fmt.Errorf("compress the snapshot: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", 0, fmt.Errorf("compress the snapshot: %w", err)
	}
	st, err := out.Stat()
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), st.Size(), nil
}

// prune removes the files of the snapshots that o.Keep and o.Thin no
// longer keep, and says how many stay. The newest always stays. Blobs are
// shared by snapshots and stay.
func prune(ctx context.Context, t Target, o Options, now time.Time) ([]string, int, error) {
	manifests, err := Snapshots(ctx, t)
	if err != nil {
		return nil, 0, err
	}
	keep := map[string]bool{}
	if o.Thin != nil {
		var vs []retention.Version
		for i, n := range manifests {
			at, ok := SnapshotTime(n)
			vs = append(vs, retention.Version{ID: int64(i), CreatedAt: at, Current: i == len(manifests)-1, Protected: !ok})
		}
		p := *o.Thin
		p.MaxVersions = o.Keep
		for _, id := range retention.Kept(retention.Decide(vs, p, now, o.Location)) {
			keep[manifests[id]] = true
		}
	} else {
		for i, n := range manifests {
			keep[n] = o.Keep <= 0 || i >= len(manifests)-o.Keep
		}
	}
	var pruned []string
	for _, m := range manifests {
		if keep[m] {
			continue
		}
		old := strings.TrimSuffix(m, ".json")
		for _, n := range []string{old + ".json", old + ".db.gz"} {
			if err := t.DeleteMeta(ctx, n); err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, storage.ErrNotFound) {
				return pruned, len(manifests) - len(pruned), fmt.Errorf("prune %s: %w", n, err)
			}
		}
		pruned = append(pruned, old)
	}
	return pruned, len(manifests) - len(pruned), nil
}

// SnapshotTime reads the time a snapshot was taken from its manifest name.
func SnapshotTime(name string) (time.Time, bool) {
	s := strings.TrimSuffix(strings.TrimPrefix(name, "notreasso-"), ".json")
	at, err := time.Parse("20060102T150405.000Z", s)
	return at, err == nil
}
