package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"notreasso/storage"
)

// After thinning, a target still holds the copies of contents that only
// the removed snapshots referred to. The sweep deletes them: every
// content no kept snapshot refers to, and nothing else.
//
// Safety: it runs inside Backup, under the maintenance lock that every
// backup to any target takes, so no backup is copying into the target
// meanwhile. It reads every kept snapshot's database (checked against its
// manifest) before deleting anything, and deletes nothing if one cannot be
// read. Only content keys are deleted (hex names), never snapshot files.
//
// Resumable: before the first deletion a marker (meta/sweep-pending) is
// written, and removed when the sweep is done; a backup that finds it
// sweeps again, even if it pruned nothing itself. Deleting is idempotent.

// sweepMarker is the name, in meta/, of an unfinished sweep's marker.
const sweepMarker = "sweep-pending"

// sweepAfterPrune sweeps t when this backup pruned snapshots or an earlier
// sweep did not finish. A target whose blobs are the live store's (the
// bucket) is left to the live garbage collector.
func sweepAfterPrune(ctx context.Context, t Target, o Options, pruned bool, rep *Report) error {
	dst := t.Blobs()
	if dst == nil {
		return nil
	}
	if !pruned {
		rc, err := t.GetMeta(ctx, sweepMarker)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("sweep %s: %w", t, err)
		}
		rc.Close()
	} else if err := t.PutMeta(ctx, sweepMarker, strings.NewReader("1"), 1); err != nil {
		return fmt.Errorf("sweep %s: %w", t, err)
	}
	n, bytes, err := Sweep(ctx, t, o.TempDir)
	rep.Swept, rep.Reclaimed = n, bytes
	rep.Stored = max(rep.Stored-bytes, 0)
	if err != nil {
		return err
	}
	if err := t.DeleteMeta(ctx, sweepMarker); err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("sweep %s: %w", t, err)
	}
	return nil
}

// Sweep deletes from t's blobs every content no snapshot of t refers to,
// and returns how many it deleted and their bytes. The caller holds the
// maintenance lock (no backup writes to t meanwhile). tempDir holds each
// snapshot's database while it is read.
func Sweep(ctx context.Context, t Target, tempDir string) (int, int64, error) {
	dst := t.Blobs()
	if dst == nil {
		return 0, 0, nil
	}
	names, err := Snapshots(ctx, t)
	if err != nil {
		return 0, 0, fmt.Errorf("sweep %s: %w", t, err)
	}
	if len(names) == 0 {
		return 0, 0, nil // nothing to go by: keep everything
	}
	need, err := referenced(ctx, t, names, tempDir)
	if err != nil {
		return 0, 0, fmt.Errorf("sweep %s: nothing deleted: %w", t, err)
	}
	var doomed []storage.BlobInfo
	err = dst.List(ctx, "", func(b storage.BlobInfo) error {
		if storage.ValidKey(b.Key) && !need[b.Key] {
			doomed = append(doomed, b)
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("sweep %s: list: %w", t, err)
	}
	var n int
	var bytes int64
	for _, b := range doomed {
		if err := dst.Delete(ctx, b.Key); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return n, bytes, fmt.Errorf("sweep %s: delete %s: %w", t, b.Key, err)
		}
		n++
		bytes += b.Size
	}
	return n, bytes, nil
}

// referenced reads the contents every named snapshot refers to.
func referenced(ctx context.Context, t Target, names []string, tempDir string) (map[string]bool, error) {
	tmp, err := os.MkdirTemp(tempDir, "sweep-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	need := map[string]bool{}
	for i, name := range names {
		var m Manifest
		if err := readManifest(ctx, t, name, &m); err != nil {
			return nil, err
		}
		dbFile := filepath.Join(tmp, fmt.Sprintf("s%d.db", i))
		if err := fetchSnapshot(ctx, t, m, dbFile); err != nil {
			return nil, err
		}
		// What Restore copies back (it checks the database first), and
		// every content a version names, should the two ever differ.
		refs, err := prepareDatabase(ctx, dbFile)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, b := range refs {
			need[b.key] = true
		}
		if err := snapshotBlobs(ctx, dbFile, need); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		os.Remove(dbFile)
	}
	return need, nil
}

// snapshotBlobs adds to need the contents a snapshot's versions refer to.
func snapshotBlobs(ctx context.Context, dbFile string, need map[string]bool) error {
	db, err := sql.Open("sqlite", "file:"+dbFile+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT DISTINCT blob FROM versions`)
	if err != nil {
		return fmt.Errorf("read the snapshot: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return err
		}
		need[k] = true
	}
	return rows.Err()
}
