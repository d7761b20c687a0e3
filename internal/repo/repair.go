package repo

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"notreasso/internal/meta"

	"notreasso/internal/acl"
	"notreasso/storage"
)

// Repairs `notreasso check --repair` may make: each one restores a state
// the rest of the code already promises, and is journaled ("repair").

// RepairCurrentVersion points a file whose current version is missing (or
// belongs to another file) at its newest version. Administrators and
// System only.
func (s *Maintenance) RepairCurrentVersion(ctx context.Context, p acl.Principal, nodeID int64) (int, error) {
	if err := needAdmin(p, "repairing a file"); err != nil {
		return 0, err
	}
	var number int
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		var vid int64
		err := tx.QueryRowContext(ctx, `SELECT id, number FROM versions WHERE node_id = ? ORDER BY number DESC LIMIT 1`, nodeID).Scan(&vid, &number)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("node %d has no version left: %w", nodeID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE nodes SET current_version_id = ? WHERE id = ? AND kind = 'file'
			AND (current_version_id IS NULL OR current_version_id NOT IN (SELECT id FROM versions WHERE node_id = ?))`, vid, nodeID, nodeID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("node %d needs no repair: %w", nodeID, ErrConflict)
		}
		return s.journal(ctx, tx, p, nodeID, "repair", map[string]any{"what": "current version", "version": number, "by": byWhom(p)})
	})
	if err != nil {
		return 0, fmt.Errorf("repair node %d: %w", nodeID, err)
	}
	s.notify()
	return number, nil
}

// ResumeSweep finishes the deletions an interrupted sweep left
// ('deleting' rows), under the maintenance lock. Administrators and System.
func (s *Maintenance) ResumeSweep(ctx context.Context, p acl.Principal) (int, error) {
	if err := needAdmin(p, "collecting unused content"); err != nil {
		return 0, err
	}
	release, err := s.MaintenanceLock(ctx, "check --repair")
	if err != nil {
		return 0, err
	}
	defer release()
	stale, err := s.blobKeys(ctx, `SELECT sha256, size FROM blobs WHERE state = 'deleting'`)
	if err != nil {
		return 0, err
	}
	for _, c := range stale {
		if err := s.deleteMarked(ctx, c.key); err != nil {
			return 0, err
		}
	}
	return len(stale), nil
}

// RestoreBlob writes the content of a recorded blob again (from a backup)
// when the store lost it or holds something else under its key. r must
// deliver exactly size bytes hashing to key, or nothing is stored.
func (s *Maintenance) RestoreBlob(ctx context.Context, p acl.Principal, key string, r io.Reader, size int64) error {
	if err := needAdmin(p, "restoring content"); err != nil {
		return err
	}
	var recorded int64
	if err := s.db.R.QueryRowContext(ctx, `SELECT size FROM blobs WHERE sha256 = ? AND state = 'live'`, key).Scan(&recorded); err != nil {
		return fmt.Errorf("restore blob %s: not recorded: %w", key, ErrNotFound)
	}
	if recorded != size {
		return fmt.Errorf("restore blob %s: %d bytes offered, %d recorded: %w", key, size, recorded, ErrConflict)
	}
	if err := s.blobs.Delete(ctx, key); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("restore blob %s: remove the damaged copy: %w", key, err)
	}
	vr := &VerifyingReader{R: r, Want: key}
	if err := s.blobs.Put(ctx, key, vr, size); err != nil {
		return fmt.Errorf("restore blob %s: %w", key, err)
	}
	// The true content is back: downloads refused since it was found
	// altered (content.go) are served again.
	if err := s.clearCorrupt(ctx, key); err != nil {
		return fmt.Errorf("restore blob %s: %w", key, err)
	}
	return meta.AppendJournal(ctx, s.db.W, meta.JournalEntry{At: s.now(), Actor: p.UserID, Action: "repair",
		Details: map[string]any{"what": "blob", "blob": key, "by": byWhom(p)}})
}

// ErrHashMismatch is returned by a VerifyingReader whose content does not
// hash to what was expected.
var ErrHashMismatch = errors.New("content does not match its SHA-256")

// VerifyingReader passes R through and, at its end, fails with
// ErrHashMismatch unless the bytes read hash (SHA-256, hex) to Want: a
// store given it keeps nothing if the content is wrong.
type VerifyingReader struct {
	R    io.Reader
	Want string
	h    hash.Hash
}

func (v *VerifyingReader) Read(p []byte) (int, error) {
	if v.h == nil {
		v.h = sha256.New()
	}
	n, err := v.R.Read(p)
	v.h.Write(p[:n])
	if errors.Is(err, io.EOF) {
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.Want {
			return n, fmt.Errorf("%w: got %s, want %s", ErrHashMismatch, got, v.Want)
		}
	}
	return n, err
}
