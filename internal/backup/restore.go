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
	"io/fs"
	"notreasso/internal/ioctx"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"notreasso/storage"
)

// RestoreOptions qualifies a restore.
type RestoreOptions struct {
	Snapshot string            // manifest name (notreasso-….json); the newest if empty
	Data     string            // data directory: the database is written to Data/meta.db
	Blobs    storage.BlobStore // the live blob store to fill from the target
	Force    bool              // replace an existing database (it is kept aside, renamed)
	Workers  int
	OnScan   func(blobs int, bytes int64)
	OnCopy   func(bytes int64)
}

// RestoreReport says what a restore did.
type RestoreReport struct {
	Name        string
	Manifest    Manifest
	Copied      int
	CopiedBytes int64
	Present     int
	Missing     []string // referenced, but in neither the target nor the live store
	MovedAside  string   // where the replaced database went
	InPlace     bool     // the snapshot's database is now the data directory's
	// Accounts are those of the snapshot; AccountChanges how they differ
	// from the running instance's (empty without one).
	Accounts       []Account
	AccountChanges []string
}

// AccountsError refuses a restore without --force that would change the
// accounts of the running instance.
type AccountsError struct{ Changes []string }

func (e *AccountsError) Error() string {
	return fmt.Sprintf("restore: the snapshot would change %d accounts of the running instance:\n  %s\nCheck that this snapshot is yours; stop the server and add --force to restore it (the current database is kept aside)",
		len(e.Changes), strings.Join(e.Changes, "\n  "))
}

// Snapshots lists the complete snapshots of a target (those with a
// manifest), oldest first.
func Snapshots(ctx context.Context, t Target) ([]string, error) {
	names, err := t.ListMeta(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, "notreasso-") && strings.HasSuffix(n, ".json") {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Restore rebuilds the data directory from a snapshot: the database, and
// the blobs it refers to that the live store lacks. The server must be
// stopped. The search index, a derived view, is not part of a backup:
// rebuild it afterwards.
func Restore(ctx context.Context, t Target, o RestoreOptions) (RestoreReport, error) {
	var rep RestoreReport
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if rep.Name = o.Snapshot; rep.Name == "" {
		all, err := Snapshots(ctx, t)
		if err != nil {
			return rep, err
		}
		if len(all) == 0 {
			return rep, fmt.Errorf("restore: no snapshot in %s", t)
		}
		rep.Name = all[len(all)-1]
	}
	if err := readManifest(ctx, t, rep.Name, &rep.Manifest); err != nil {
		return rep, err
	}
	dbPath := filepath.Join(o.Data, "meta.db")
	_, err := os.Stat(dbPath)
	exists := err == nil
	if err := os.MkdirAll(o.Data, 0o750); err != nil {
		return rep, fmt.Errorf("restore: %w", err)
	}
	tmp := dbPath + ".restoring"
	defer os.Remove(tmp)
	if err := fetchSnapshot(ctx, t, rep.Manifest, tmp); err != nil {
		return rep, err
	}
	blobs, err := prepareDatabase(ctx, tmp)
	if err != nil {
		return rep, err
	}
	// A snapshot can bring accounts (a crafted one, an administrator):
	// say which, and what changes, before anything is replaced.
	if rep.Accounts, err = readAccounts(ctx, tmp); err != nil {
		return rep, fmt.Errorf("restore: %w", err)
	}
	if exists {
		current, err := readAccounts(ctx, dbPath)
		switch {
		case err != nil && !o.Force:
			return rep, fmt.Errorf("restore: %s already exists and its accounts cannot be read (%v); stop the server and add --force to replace it (it will be kept aside)", dbPath, err)
		case err != nil:
			// A damaged database is a reason to restore: say what could not
			// be compared, and go on.
			rep.AccountChanges = []string{fmt.Sprintf("? the current database's accounts cannot be read (%v): not compared", err)}
		default:
			rep.AccountChanges = accountChanges(current, rep.Accounts)
		}
		switch {
		case !o.Force && len(rep.AccountChanges) > 0:
			return rep, &AccountsError{Changes: rep.AccountChanges}
		case !o.Force:
			return rep, fmt.Errorf("restore: %s already exists; stop the server and add --force (it will be kept aside)", dbPath)
		}
	}
	if o.OnScan != nil {
		var total int64
		for _, b := range blobs {
			total += b.size
		}
		o.OnScan(len(blobs), total)
	}
	if err := restoreBlobs(ctx, t, o, blobs, &rep); err != nil {
		return rep, err
	}
	if _, err := os.Stat(dbPath); err == nil {
		rep.MovedAside = dbPath + ".before-restore-" + time.Now().UTC().Format("20060102T150405Z")
		if err := os.Rename(dbPath, rep.MovedAside); err != nil {
			return rep, fmt.Errorf("restore: keep the old database aside: %w", err)
		}
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(dbPath + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return rep, fmt.Errorf("restore: %w", err)
		}
	}
	if err := os.Rename(tmp, dbPath); err != nil {
		return rep, fmt.Errorf("restore: %w", err)
	}
	rep.InPlace = true
	if err := syncDir(o.Data); err != nil {
		return rep, err
	}
	if len(rep.Missing) > 0 {
		return rep, fmt.Errorf("restored, but %d contents are missing (notreasso check lists the files concerned)", len(rep.Missing))
	}
	return rep, nil
}

func readManifest(ctx context.Context, t Target, name string, m *Manifest) error {
	rc, err := t.GetMeta(ctx, name)
	if err != nil {
		return fmt.Errorf("restore: read %s: %w", name, err)
	}
	defer rc.Close()
	if err := json.NewDecoder(io.LimitReader(rc, 1<<20)).Decode(m); err != nil {
		return fmt.Errorf("restore: read %s: %w", name, err)
	}
	if m.Format != Format {
		return fmt.Errorf("restore: %s has format %q, this program reads %q", name, m.Format, Format)
	}
	return nil
}

// fetchSnapshot downloads the compressed database beside path, checks its
// SHA-256 against the manifest, and only then decompresses it to path,
// refusing to write more than the size the manifest records: a damaged or
// crafted snapshot (a gzip bomb) is refused before it can fill the disk.
func fetchSnapshot(ctx context.Context, t Target, m Manifest, path string) error {
	if m.DatabaseSize <= 0 || m.SnapshotSize <= 0 {
		return fmt.Errorf("restore: %s does not record the snapshot's sizes; it was not written by notreasso backup", m.Snapshot)
	}
	// A manifest can be crafted too: never start what cannot end.
	if free, ok := freeBytes(filepath.Dir(path)); ok && m.DatabaseSize+m.SnapshotSize > free {
		return fmt.Errorf("restore: %s needs %d bytes on %s, %d are free", m.Snapshot, m.DatabaseSize+m.SnapshotSize, filepath.Dir(path), free)
	}
	gz := path + ".gz"
	defer os.Remove(gz)
	if err := download(ctx, t, m, gz); err != nil {
		return err
	}
	in, err := os.Open(gz)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		return fmt.Errorf("restore: %s: %w", m.Snapshot, err)
	}
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer out.Close()
	n, err := io.Copy(out, io.LimitReader(ioctx.Reader(ctx, zr), m.DatabaseSize+1))
	if err != nil {
		return fmt.Errorf("restore: decompress %s: %w", m.Snapshot, err)
	}
	if n > m.DatabaseSize {
		return fmt.Errorf("restore: %s decompresses to more than the %d bytes the manifest records: refused", m.Snapshot, m.DatabaseSize)
	}
	if err := out.Sync(); err != nil {
		return err
	}
	return out.Close()
}

// download copies the compressed snapshot to path, no longer than the
// manifest says, and checks its SHA-256.
func download(ctx context.Context, t Target, m Manifest, path string) error {
	rc, err := t.GetMeta(ctx, m.Snapshot)
	if err != nil {
		return fmt.Errorf("restore: read %s: %w", m.Snapshot, err)
	}
	defer rc.Close()
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer out.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), io.LimitReader(ioctx.Reader(ctx, rc), m.SnapshotSize+1))
	if err != nil {
		return fmt.Errorf("restore: read %s: %w", m.Snapshot, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != m.SnapshotSize || got != m.SnapshotSHA256 {
		return fmt.Errorf("restore: %s is damaged (%s bytes, SHA-256 %s; the manifest says %d bytes, %s)",
			m.Snapshot, sizeSaid(n, m.SnapshotSize), got, m.SnapshotSize, m.SnapshotSHA256)
	}
	return out.Close()
}

// sizeSaid prints a size read with a limit of max+1: "more than max" when
// the limit was reached.
func sizeSaid(n, max int64) string {
	if n > max {
		return fmt.Sprintf("more than %d", max)
	}
	return fmt.Sprint(n)
}

// prepareDatabase checks the restored database, clears the maintenance
// lock the backup itself held, and lists the blobs versions refer to.
func prepareDatabase(ctx context.Context, path string) ([]blobRef, error) {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return nil, fmt.Errorf("restore: open the snapshot: %w", err)
	}
	defer db.Close()
	var ok string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		return nil, fmt.Errorf("restore: the snapshot fails SQLite's integrity check: %s %v", ok, err)
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM maintenance_locks`); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	rows, err := db.QueryContext(ctx, `SELECT sha256, size FROM blobs b WHERE EXISTS (SELECT 1 FROM versions v WHERE v.blob = b.sha256)`)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	defer rows.Close()
	var out []blobRef
	for rows.Next() {
		var b blobRef
		if err := rows.Scan(&b.key, &b.size); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// restoreBlobs copies into the live store what it lacks, from the target.
func restoreBlobs(ctx context.Context, t Target, o RestoreOptions, blobs []blobRef, rep *RestoreReport) error {
	var br Report
	src := t.Blobs()
	if src == nil {
		// The bucket is both: check that everything is there.
		src = o.Blobs
	}
	err := copyBlobs(ctx, src, liveTarget{o.Blobs}, blobs, Options{Workers: o.Workers, OnCopy: o.OnCopy}, &br)
	rep.Copied, rep.CopiedBytes, rep.Present = br.Copied, br.CopiedBytes, br.Present
	rep.Missing = br.Missing
	return err
}

// liveTarget presents the live store as a copy destination.
type liveTarget struct{ s storage.BlobStore }

func (l liveTarget) Blobs() storage.BlobStore { return l.s }
func (l liveTarget) String() string           { return "the blob store" }
func (l liveTarget) PutMeta(context.Context, string, io.Reader, int64) error {
	return errors.New("not a backup target")
}
func (l liveTarget) GetMeta(context.Context, string) (io.ReadCloser, error) {
	return nil, errors.New("not a backup target")
}
func (l liveTarget) ListMeta(context.Context) ([]string, error) { return nil, nil }
func (l liveTarget) DeleteMeta(context.Context, string) error   { return nil }
