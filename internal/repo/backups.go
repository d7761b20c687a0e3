package repo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// Backup state: the settings saved from the browser, the runs of the
// scheduled backups and verifications, and the contents a verification
// found damaged in a target. The scheduler (internal/backup/schedule)
// writes them; the « Sauvegardes » page, /readyz and /metrics read them.

// BackupRun is one backup or verification of one target.
type BackupRun struct {
	ID         int64
	Kind       string // "backup" or "verify"
	Target     string
	StartedAt  time.Time
	FinishedAt time.Time // zero while running, or if the process stopped midway
	Duration   time.Duration
	OK         bool
	Error      string
	Snapshot   string
	Bytes      int64 // content the snapshot refers to
	Copied     int64 // bytes this run copied
	Snapshots  int   // snapshots the target keeps after the run
	Stored     int64 // bytes the target holds, when known
	Reclaimed  int64 // bytes deleted from the target after thinning
	Trigger    string
}

// BackupSettings returns the settings an administrator saved (JSON, read
// by the scheduler), or ok false when none were.
func (s *Maintenance) BackupSettings(ctx context.Context) (settings string, at time.Time, ok bool, err error) {
	var unix int64
	err = s.db.R.QueryRowContext(ctx, `SELECT settings, updated_at FROM backup_settings WHERE id = 1`).Scan(&settings, &unix)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("read the backup settings: %w", err)
	}
	return settings, time.Unix(unix, 0).UTC(), true, nil
}

// SetBackupSettings saves the backup settings (administrators only) and
// journals the change; summary is what the journal says of them.
func (s *Maintenance) SetBackupSettings(ctx context.Context, p acl.Principal, settings string, summary map[string]any) error {
	if !p.IsAdmin() {
		return fmt.Errorf("backup settings: %w", ErrForbidden)
	}
	return s.db.Tx(ctx, func(tx meta.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO backup_settings (id, settings, updated_at, updated_by) VALUES (1, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			settings, s.now().Unix(), actorArg(p)); err != nil {
			return fmt.Errorf("save the backup settings: %w", err)
		}
		return s.journal(ctx, tx, p, 0, "backup_settings", summary)
	})
}

// StartBackupRun records the start of a run and returns its id.
func (s *Maintenance) StartBackupRun(ctx context.Context, kind, target, trigger string, at time.Time) (int64, error) {
	var id int64
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO backup_runs (kind, target, started_at, trigger_by) VALUES (?, ?, ?, ?) RETURNING id`,
			kind, target, at.Unix(), trigger).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("record a %s run: %w", kind, err)
	}
	return id, nil
}

// FinishBackupRun records the end of a run.
func (s *Maintenance) FinishBackupRun(ctx context.Context, r BackupRun) error {
	ok := 0
	if r.OK {
		ok = 1
	}
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE backup_runs SET finished_at = ?, duration_ms = ?, ok = ?, error = ?, snapshot = ?,
			bytes = ?, copied = ?, snapshots = ?, stored = ?, reclaimed = ? WHERE id = ?`,
			r.FinishedAt.Unix(), r.Duration.Milliseconds(), ok, r.Error, r.Snapshot, r.Bytes, r.Copied, r.Snapshots, r.Stored, r.Reclaimed, r.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("record the end of run %d: %w", r.ID, err)
	}
	return nil
}

const backupRunCols = `id, kind, target, started_at, COALESCE(finished_at, 0), duration_ms, ok, error, snapshot, bytes, copied, snapshots, stored, trigger_by, reclaimed`

func scanBackupRun(sc interface{ Scan(...any) error }) (BackupRun, error) {
	var r BackupRun
	var start, end, ms int64
	err := sc.Scan(&r.ID, &r.Kind, &r.Target, &start, &end, &ms, &r.OK, &r.Error, &r.Snapshot, &r.Bytes, &r.Copied, &r.Snapshots, &r.Stored, &r.Trigger, &r.Reclaimed)
	r.StartedAt = time.Unix(start, 0).UTC()
	if end != 0 {
		r.FinishedAt = time.Unix(end, 0).UTC()
	}
	r.Duration = time.Duration(ms) * time.Millisecond
	return r, err
}

// BackupRuns lists the newest runs first, at most limit of them.
func (s *Maintenance) BackupRuns(ctx context.Context, limit int) ([]BackupRun, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+backupRunCols+` FROM backup_runs ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list backup runs: %w", err)
	}
	defer rows.Close()
	var out []BackupRun
	for rows.Next() {
		r, err := scanBackupRun(rows)
		if err != nil {
			return nil, fmt.Errorf("list backup runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LastBackupRun is the newest finished run of kind on target; with okOnly,
// the newest that succeeded. found is false when there is none.
func (s *Maintenance) LastBackupRun(ctx context.Context, kind, target string, okOnly bool) (r BackupRun, found bool, err error) {
	q := `SELECT ` + backupRunCols + ` FROM backup_runs WHERE kind = ? AND target = ? AND finished_at IS NOT NULL`
	if okOnly {
		q += ` AND ok = 1`
	}
	r, err = scanBackupRun(s.db.R.QueryRowContext(ctx, q+` ORDER BY id DESC LIMIT 1`, kind, target))
	if errors.Is(err, sql.ErrNoRows) {
		return BackupRun{}, false, nil
	}
	if err != nil {
		return BackupRun{}, false, fmt.Errorf("read the last %s of %s: %w", kind, target, err)
	}
	return r, true, nil
}

// CountBackupFailures counts the failed runs of kind on target since the
// last one that succeeded (0 when the last one did).
func (s *Maintenance) CountBackupFailures(ctx context.Context, kind, target string) (int, error) {
	var n int
	err := s.db.R.QueryRowContext(ctx, `SELECT count(*) FROM backup_runs WHERE kind = ? AND target = ? AND finished_at IS NOT NULL AND ok = 0
		AND id > COALESCE((SELECT max(id) FROM backup_runs WHERE kind = ? AND target = ? AND ok = 1), 0)`,
		kind, target, kind, target).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count the failed %s runs of %s: %w", kind, target, err)
	}
	return n, nil
}

// MarkBadBlobs records contents a verification found missing or damaged in
// target; the next backup copies them again.
func (s *Maintenance) MarkBadBlobs(ctx context.Context, target string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	return s.db.Tx(ctx, func(tx meta.Tx) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `INSERT INTO backup_bad_blobs (target, sha256, found_at) VALUES (?, ?, ?) ON CONFLICT (target, sha256) DO NOTHING`,
				target, k, s.now().Unix()); err != nil {
				return fmt.Errorf("record damaged content in %s: %w", target, err)
			}
		}
		return nil
	})
}

// BadBlobs lists the contents recorded as damaged in target.
func (s *Maintenance) BadBlobs(ctx context.Context, target string) ([]string, error) {
	return queryStrings(ctx, s.db.R, `SELECT sha256 FROM backup_bad_blobs WHERE target = ? ORDER BY sha256`, target)
}

// ClearBadBlobs forgets the damaged contents of target once copied again.
func (s *Maintenance) ClearBadBlobs(ctx context.Context, target string, keys []string) error {
	return s.db.Tx(ctx, func(tx meta.Tx) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `DELETE FROM backup_bad_blobs WHERE target = ? AND sha256 = ?`, target, k); err != nil {
				return fmt.Errorf("forget damaged content in %s: %w", target, err)
			}
		}
		return nil
	})
}

func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
