package repo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"notreasso/internal/meta"
	"time"

	"notreasso/internal/acl"
	"notreasso/storage"
)

// The sweep of unused content (blob garbage collection). Blobs are shared by content, so a blob is
// deleted only when no version refers to it. The hard part is an upload
// running at the same time: Put stores its blob (or finds it already
// stored and skips writing) before its transaction records the version.
// The protocol, with every step on the blobs row inside a write
// transaction (SQLite serialises them):
//
//  1. Put, once the content is spooled and hashed, leases the blob: it
//     inserts the row or sets last_used_at = now, unless the row is marked
//     'deleting', in which case it waits for the sweeper to finish and
//     then inserts a fresh row (and, the object being gone, writes it).
//  2. Put stores the object, then commits the version only if the row is
//     still 'live' (else ErrUnavailable: nothing is recorded).
//  3. The sweeper marks a row 'deleting' only if no version refers to it
//     and last_used_at is older than the grace period; objects with no row
//     at all (a crash before step 1 of an older binary, a restored older
//     database) are first given a 'deleting' row, only if none exists.
//     Then it deletes the object, then the row.
//
// So an upload either leased first (the sweeper leaves the blob alone
// for the grace period, and the commit re-checks) or after the marking
// (it waits, then writes the content again). The grace period only has to
// exceed the time between a lease and its commit: storing one blob.

// DefaultGCGrace is how long an unused blob is kept before it is swept.
const DefaultGCGrace = 24 * time.Hour

// leaseWait bounds how long an upload waits for a sweeper that is
// deleting the very content it brings.
const leaseWait = time.Minute

// leaseSQL is step 1's write: a new row, or a live one's last use moved.
const leaseSQL = `INSERT INTO blobs (sha256, size, created_at, last_used_at) VALUES (?, ?, ?, ?)
	ON CONFLICT (sha256) DO UPDATE SET last_used_at = excluded.last_used_at WHERE blobs.state = 'live'`

// leaseBlob is step 1: it records that an upload is about to rely on the
// blob hash.
func (s *core) leaseBlob(ctx context.Context, hash string, size int64) error {
	deadline := time.Now().Add(leaseWait)
	for {
		var state string
		err := s.db.Tx(ctx, func(tx meta.Tx) error {
			now := s.now().UnixNano()
			if _, err := tx.ExecContext(ctx, leaseSQL, hash, size, now, now); err != nil {
				return err
			}
			return tx.QueryRowContext(ctx, `SELECT state FROM blobs WHERE sha256 = ?`, hash).Scan(&state)
		})
		if err != nil {
			return fmt.Errorf("lease blob %s: %w", hash, err)
		}
		if state == "live" {
			return nil
		}
		// A sweeper is deleting it. If none holds the lock, the one that
		// marked it died: finish its work under the lock, then lease afresh.
		if release, err := s.svc.Maintenance.MaintenanceLock(ctx, "upload"); err == nil {
			err := s.deleteMarked(ctx, hash)
			release()
			if err != nil {
				return fmt.Errorf("lease blob %s: %w", hash, err)
			}
			continue
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: the sweeper is deleting this unused content; retry", ErrUnavailable)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %v", ErrIncomplete, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// useBlob is step 2, inside the transaction that records a version.
func (s *core) useBlob(ctx context.Context, tx meta.Tx, hash string, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE blobs SET last_used_at = ? WHERE sha256 = ? AND state = 'live'`, now.UnixNano(), hash)
	if err != nil {
		return fmt.Errorf("record blob: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: the content was swept while it was being stored (over %s); retry", ErrUnavailable, DefaultGCGrace)
	}
	return nil
}

// GCOptions qualifies a sweep.
type GCOptions struct {
	Grace  time.Duration // only blobs unused for at least this long
	DryRun bool
}

// GCReport sums up a sweep.
type GCReport struct {
	DryRun       bool
	Stored       int   // objects in the blob store
	Unreferenced int   // recorded blobs no version refers to
	Orphans      int   // stored objects with no record (uploads that never committed)
	Young        int   // unused, but within the grace period: kept for now
	Deleted      int   // objects deleted (or that would be)
	Bytes        int64 // their size
	Resumed      int   // deletions left by an interrupted sweep, finished
}

type gcCandidate struct {
	key    string
	size   int64
	orphan bool
}

// CollectGarbage deletes blobs no version refers to and unused for
// o.Grace. Administrators and System only; one sweep (or backup) at a
// time across processes, else ErrUnavailable.
func (s *Maintenance) CollectGarbage(ctx context.Context, p acl.Principal, o GCOptions) (GCReport, error) {
	rep := GCReport{DryRun: o.DryRun}
	if err := needAdmin(p, "collecting unused content"); err != nil {
		return rep, err
	}
	release, err := s.MaintenanceLock(ctx, "gc")
	if err != nil {
		return rep, err
	}
	defer release()
	cutoff := s.now().Add(-o.Grace).UnixNano()

	// Holding the lock, any 'deleting' row is a crashed sweeper's.
	stale, err := s.blobKeys(ctx, `SELECT sha256, size FROM blobs WHERE state = 'deleting'`)
	if err != nil {
		return rep, err
	}
	// A rendering keeps its blob alive, except one that is its source's
	// own bytes (the extracted text of a plain-text file): that row goes
	// with its source.
	var cands []gcCandidate
	if cands, err = s.blobKeys(ctx, `SELECT sha256, size FROM blobs b WHERE state = 'live'
		AND NOT EXISTS (SELECT 1 FROM versions v WHERE v.blob = b.sha256)
		AND NOT EXISTS (SELECT 1 FROM previews p WHERE p.derived = b.sha256 AND p.source <> b.sha256)`); err != nil {
		return rep, err
	}
	rep.Unreferenced = len(cands)
	err = s.blobs.List(ctx, "", func(b storage.BlobInfo) error {
		rep.Stored++
		var one int
		err := s.db.R.QueryRowContext(ctx, `SELECT 1 FROM blobs WHERE sha256 = ?`, b.Key).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			rep.Orphans++
			if b.ModTime.UnixNano() < cutoff {
				cands = append(cands, gcCandidate{key: b.Key, size: b.Size, orphan: true})
			} else {
				rep.Young++
			}
			return nil
		}
		return err
	})
	if err != nil {
		return rep, fmt.Errorf("list blobs: %w", err)
	}
	for _, c := range stale {
		if !o.DryRun {
			if err := s.deleteMarked(ctx, c.key); err != nil {
				return rep, err
			}
		}
		rep.Resumed++
	}
	for start := 0; start < len(cands); start += 100 {
		batch := cands[start:min(start+100, len(cands))]
		marked, young, err := s.markForDeletion(ctx, batch, cutoff, o.DryRun)
		if err != nil {
			return rep, err
		}
		rep.Young += young
		for _, c := range marked {
			if !o.DryRun {
				if err := s.deleteMarked(ctx, c.key); err != nil {
					return rep, err
				}
			}
			rep.Deleted++
			rep.Bytes += c.size
		}
	}
	if !o.DryRun && rep.Deleted+rep.Resumed > 0 {
		if err := meta.AppendJournal(ctx, s.db.W, meta.JournalEntry{At: s.now(), Actor: p.UserID, Action: "gc",
			Details: map[string]any{"deleted": rep.Deleted, "bytes": rep.Bytes, "resumed": rep.Resumed,
				"grace": o.Grace.String(), "by": byWhom(p)}}); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func (s *core) blobKeys(ctx context.Context, q string) ([]gcCandidate, error) {
	rows, err := s.db.R.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list blobs: %w", err)
	}
	defer rows.Close()
	var out []gcCandidate
	for rows.Next() {
		var c gcCandidate
		if err := rows.Scan(&c.key, &c.size); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// markForDeletion is step 3's transaction: it re-checks each candidate and
// marks those still unused and old enough. With dryRun it only checks.
func (s *core) markForDeletion(ctx context.Context, batch []gcCandidate, cutoff int64, dryRun bool) (marked []gcCandidate, young int, err error) {
	err = s.db.Tx(ctx, func(tx meta.Tx) error {
		now := s.now().UnixNano()
		for _, c := range batch {
			var res sql.Result
			var err error
			if c.orphan {
				res, err = tx.ExecContext(ctx, `INSERT INTO blobs (sha256, size, created_at, last_used_at, state, deleting_since)
					VALUES (?, ?, ?, 0, 'deleting', ?) ON CONFLICT (sha256) DO NOTHING`, c.key, c.size, now, now)
			} else {
				res, err = tx.ExecContext(ctx, `UPDATE blobs SET state = 'deleting', deleting_since = ?
					WHERE sha256 = ? AND state = 'live' AND last_used_at < ?
					AND NOT EXISTS (SELECT 1 FROM versions v WHERE v.blob = blobs.sha256)
					AND NOT EXISTS (SELECT 1 FROM previews p WHERE p.derived = blobs.sha256 AND p.source <> blobs.sha256)`, now, c.key, cutoff)
			}
			if err != nil {
				return fmt.Errorf("mark blob %s: %w", c.key, err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				marked = append(marked, c)
			} else if !c.orphan {
				young++
			}
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return marked, young, err
}

var errDryRun = errors.New("dry run: roll back")

// deleteMarked deletes a 'deleting' blob's object, then its row.
func (s *core) deleteMarked(ctx context.Context, key string) error {
	if err := s.blobs.Delete(ctx, key); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("delete blob %s: %w", key, err)
	}
	// The extraction cached for the content goes with it (its text file in
	// the indexer's cache becomes an unused cache entry), and so do its
	// previews (their blobs become unused, swept in turn).
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM extractions WHERE blob = ? AND EXISTS
			(SELECT 1 FROM blobs WHERE sha256 = ? AND state = 'deleting')`, key, key); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM previews WHERE source = ? AND EXISTS
			(SELECT 1 FROM blobs WHERE sha256 = ? AND state = 'deleting')`, key, key); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM blobs WHERE sha256 = ? AND state = 'deleting'`, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("forget blob %s: %w", key, err)
	}
	return nil
}
