package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"notreasso/internal/backup"
	"notreasso/internal/config"
	"notreasso/internal/metrics"
	"notreasso/internal/repo"
	"notreasso/storage"
	"notreasso/storage/s3"
)

// Alerts: why the administration pages show the red banner.
const (
	AlertNone         = ""
	AlertNoTarget     = "no_target"     // no automatic backup is configured
	AlertStale        = "stale"         // a target's last good backup is older than the schedule allows, or there is none
	AlertVerifyFailed = "verify_failed" // the newest snapshot of a target failed its verification
	AlertFailing      = "failing"       // the last backup of a target failed (it is being retried)
)

// TargetStatus is one target as the page shows it.
type TargetStatus struct {
	config.BackupTarget
	LastBackup, LastOK, LastVerify repo.BackupRun // zero ID: none
	Failures                       int            // failed backups since the last good one
	// State is ok, never (no backup yet), failing (the last backup
	// failed) or verify_failed (its newest snapshot failed verification).
	State                  string
	NextBackup, NextVerify time.Time // zero: not scheduled
}

// Status is the state of the backups.
type Status struct {
	Settings config.Backup
	FromDB   bool      // saved from the browser (else: the configuration file)
	SavedAt  time.Time // when
	Running  string    // the kind of the run in progress, or ""
	Targets  []TargetStatus
	// LastOK is the oldest of the targets' last good backups (zero if one
	// has none): how old the freshest copy everywhere is.
	LastOK     time.Time
	LastVerify time.Time // the newest verification, whatever its result
	NextRun    time.Time // the next scheduled run (zero: none)
	Alert      string
	Allowed    time.Duration // the age a good backup may reach before the banner
	Runs       []repo.BackupRun
}

// Allowed is how old the last good backup may get: one period and a
// quarter (at least an hour more), for a run that takes long or a retry.
func Allowed(set config.Backup) time.Duration {
	if set.Every <= 0 {
		return 8 * 24 * time.Hour // backups only by hand: a week and a day
	}
	return set.Every + max(set.Every/4, time.Hour)
}

// Status reads the state of every target from the recorded runs.
func (s *Scheduler) Status(ctx context.Context) (Status, error) {
	set, fromDB, at, err := s.Settings(ctx)
	if err != nil {
		return Status{}, err
	}
	now := s.o.Clock.Now()
	st := Status{Settings: set, FromDB: fromDB, SavedAt: at, Running: s.Running(), Allowed: Allowed(set)}
	if st.Runs, err = s.o.Repo.Maintenance.BackupRuns(ctx, 20); err != nil {
		return st, err
	}
	if len(set.Targets) == 0 {
		st.Alert = AlertNoTarget
	}
	for i, t := range set.Targets {
		ts := TargetStatus{BackupTarget: t}
		r := s.o.Repo.Maintenance
		var okB, okO, okV bool
		if ts.LastBackup, okB, err = r.LastBackupRun(ctx, KindBackup, t.Name, false); err != nil {
			return st, err
		}
		if ts.LastOK, okO, err = r.LastBackupRun(ctx, KindBackup, t.Name, true); err != nil {
			return st, err
		}
		if ts.LastVerify, okV, err = r.LastBackupRun(ctx, KindVerify, t.Name, false); err != nil {
			return st, err
		}
		if ts.Failures, err = r.CountBackupFailures(ctx, KindBackup, t.Name); err != nil {
			return st, err
		}
		// Runs are recorded one at a time: a larger id is a later run.
		verifyFailed := okV && !ts.LastVerify.OK && (!okO || ts.LastOK.ID < ts.LastVerify.ID)
		verifyFailures := 0
		if verifyFailed {
			if verifyFailures, err = r.CountBackupFailures(ctx, KindVerify, t.Name); err != nil {
				return st, err
			}
		}
		switch {
		case okB && !ts.LastBackup.OK:
			ts.State = "failing"
		case verifyFailed:
			ts.State = "verify_failed"
		case !okO:
			ts.State = "never"
		default:
			ts.State = "ok"
		}
		// When the next backup is due.
		switch {
		case !okB:
			ts.NextBackup = now
		case !ts.LastBackup.OK:
			ts.NextBackup = ts.LastBackup.StartedAt.Add(backoff(ts.Failures, set.Every))
		case verifyFailed:
			// A snapshot that fails its verification is repaired by the next
			// backup (damaged content copied again), at once.
			// (at once the first time, then waiting longer each time).
			ts.NextBackup = ts.LastVerify.FinishedAt
			if verifyFailures > 1 {
				ts.NextBackup = ts.NextBackup.Add(backoff(verifyFailures-1, set.Every))
			}
		case set.Every > 0:
			ts.NextBackup = ts.LastBackup.StartedAt.Add(set.Every)
		}
		// When the next verification is due: after the first good backup,
		// after a backup that repaired a failed verification, then every
		// VerifyEvery.
		switch {
		case !okO:
		case !okV && set.VerifyEvery > 0, okV && !ts.LastVerify.OK && ts.LastOK.ID > ts.LastVerify.ID:
			ts.NextVerify = ts.LastOK.FinishedAt
		case verifyFailed, !okV:
		case set.VerifyEvery > 0:
			ts.NextVerify = ts.LastVerify.StartedAt.Add(set.VerifyEvery)
		}
		s.mu.Lock()
		if till := s.busyTill[t.Name]; till.After(now) {
			ts.NextBackup = laterOf(ts.NextBackup, till)
			ts.NextVerify = laterOf(ts.NextVerify, till)
		}
		s.mu.Unlock()
		for _, next := range []time.Time{ts.NextBackup, ts.NextVerify} {
			if !next.IsZero() && (st.NextRun.IsZero() || next.Before(st.NextRun)) {
				st.NextRun = next
			}
		}
		if i == 0 || !okO || ts.LastOK.FinishedAt.Before(st.LastOK) {
			st.LastOK = ts.LastOK.FinishedAt // zero when a target has none
		}
		if okV && ts.LastVerify.FinishedAt.After(st.LastVerify) {
			st.LastVerify = ts.LastVerify.FinishedAt
		}
		switch {
		case verifyFailed:
			st.Alert = AlertVerifyFailed
		case st.Alert == AlertVerifyFailed:
		case ts.State == "failing":
			st.Alert = AlertFailing
		case st.Alert == AlertNone && (!okO || now.Sub(ts.LastOK.FinishedAt) > st.Allowed):
			st.Alert = AlertStale
		}
		st.Targets = append(st.Targets, ts)
	}
	return st, nil
}

func laterOf(a, b time.Time) time.Time {
	if a.IsZero() || b.After(a) {
		return b
	}
	return a
}

type dueRun struct {
	kind    string
	target  config.BackupTarget
	trigger string
}

// due lists the runs due at now: backups first, then verifications.
func (st Status) due(now time.Time) []dueRun {
	var out []dueRun
	for _, kind := range []string{KindBackup, KindVerify} {
		for _, t := range st.Targets {
			at := t.NextBackup
			if kind == KindVerify {
				at = t.NextVerify
			}
			if at.IsZero() || at.After(now) {
				continue
			}
			trigger := "schedule"
			if kind == KindBackup && t.State == "failing" {
				trigger = "retry"
			}
			if kind == KindBackup && t.State == "verify_failed" {
				trigger = "repair"
			}
			out = append(out, dueRun{kind, t.BackupTarget, trigger})
			if kind == KindBackup {
				return out // its verification is planned from its result
			}
		}
	}
	return out
}

// dueFor says whether a run of kind for the target named name is due.
func (st Status) dueFor(kind, name string, now time.Time) bool {
	for _, t := range st.Targets {
		if t.Name != name {
			continue
		}
		at := t.NextBackup
		if kind == KindVerify {
			at = t.NextVerify
		}
		return !at.IsZero() && !at.After(now)
	}
	return false
}

// observe sets the metrics after a run.
func (s *Scheduler) observe(r repo.BackupRun) {
	if r.Kind == KindVerify {
		if r.OK {
			metrics.BackupVerifyLastSuccess.WithLabelValues(r.Target).Set(float64(r.FinishedAt.Unix()))
			metrics.BackupVerifyOK.WithLabelValues(r.Target).Set(1)
		} else {
			metrics.BackupVerifyOK.WithLabelValues(r.Target).Set(0)
			metrics.BackupVerifyFailures.WithLabelValues(r.Target).Inc()
		}
	} else {
		metrics.BackupDuration.WithLabelValues(r.Target).Set(r.Duration.Seconds())
		if r.OK {
			metrics.BackupLastSuccess.WithLabelValues(r.Target).Set(float64(r.FinishedAt.Unix()))
			metrics.BackupSize.WithLabelValues(r.Target).Set(float64(r.Stored))
			metrics.BackupFailing.WithLabelValues(r.Target).Set(0)
		} else {
			metrics.BackupFailures.WithLabelValues(r.Target).Inc()
		}
	}
	s.refreshMetrics(context.Background())
}

// refreshMetrics sets the gauges from the recorded runs.
func (s *Scheduler) refreshMetrics(ctx context.Context) {
	st, err := s.Status(ctx)
	if err != nil {
		return
	}
	stale := 0.0
	if st.Alert != AlertNone {
		stale = 1
	}
	metrics.BackupStale.Set(stale)
	for _, t := range st.Targets {
		metrics.BackupFailures.WithLabelValues(t.Name) // exist from the start, at 0
		metrics.BackupVerifyFailures.WithLabelValues(t.Name)
		metrics.BackupFailing.WithLabelValues(t.Name).Set(float64(t.Failures))
		if t.LastOK.ID != 0 {
			metrics.BackupLastSuccess.WithLabelValues(t.Name).Set(float64(t.LastOK.FinishedAt.Unix()))
			metrics.BackupSize.WithLabelValues(t.Name).Set(float64(t.LastOK.Stored))
		} else {
			metrics.BackupLastSuccess.WithLabelValues(t.Name).Set(0)
		}
		if t.LastBackup.ID != 0 {
			metrics.BackupDuration.WithLabelValues(t.Name).Set(t.LastBackup.Duration.Seconds())
		}
		ok := 0.0
		if t.LastVerify.ID != 0 && t.LastVerify.OK {
			ok = 1
			metrics.BackupVerifyLastSuccess.WithLabelValues(t.Name).Set(float64(t.LastVerify.FinishedAt.Unix()))
		}
		metrics.BackupVerifyOK.WithLabelValues(t.Name).Set(ok)
	}
}

// OpenTarget opens a configured target; the returned function releases it.
// A directory must exist already: an unmounted disk must not be mistaken
// for an empty one (the copy would fill the system disk).
func OpenTarget(ctx context.Context, t config.BackupTarget, live storage.BlobStore, liveBucket string, log *slog.Logger) (backup.Target, func(), error) {
	none := func() {}
	switch t.Kind {
	case "dir":
		if st, err := os.Stat(t.Dir); err != nil || !st.IsDir() {
			return nil, none, fmt.Errorf("the directory %s does not exist (is the disk connected?)", t.Dir)
		}
		d, err := backup.OpenDir(t.Dir)
		return d, none, err
	case "bucket":
		b, err := backup.OpenBucket(live, liveBucket)
		return b, none, err
	case "s3":
		c := t.S3
		cfg := s3.Config{Endpoint: c.Endpoint, Region: c.Region, Bucket: c.Bucket, Prefix: c.Prefix, AccessKey: c.AccessKey,
			SecretKeyFile: c.SecretKeyFile, UseTLS: c.TLS, PathStyle: c.PathStyle, CreateBucket: c.CreateBucket}
		if c.SecretKeyEnv != "" {
			if cfg.SecretKey = os.Getenv(c.SecretKeyEnv); cfg.SecretKey == "" {
				return nil, none, fmt.Errorf("the environment variable %s, which holds the secret key of %s, is empty", c.SecretKeyEnv, t.Name)
			}
		}
		st, err := s3.New(ctx, cfg, log)
		if err != nil {
			return nil, none, fmt.Errorf("open %s: %w", t.Name, err)
		}
		closeStore := func() { st.Close() }
		r, err := backup.OpenRemote(st, t.Name)
		if err != nil {
			closeStore()
			return nil, none, err
		}
		return r, closeStore, nil
	}
	return nil, none, fmt.Errorf("backup target %s: kind %q is none of dir, bucket, s3", t.Name, t.Kind)
}
