// Package schedule makes the server back itself up: on a schedule, to each
// configured target (a directory, the S3 bucket itself, a second bucket
// off-site), one run at a time, retried with a growing delay after a
// failure; and it verifies the newest snapshot of each target by restoring
// it into a temporary directory and checking it. Every run is recorded in
// the database, which the « Sauvegardes » page, /readyz and /metrics read.
package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/backup"
	"notreasso/internal/config"
	"notreasso/internal/errkind"
	"notreasso/internal/jobs"
	"notreasso/internal/repo"
	"notreasso/internal/retention"
	"notreasso/storage"
)

// Run kinds, as recorded.
const (
	KindBackup = "backup"
	KindVerify = "verify"
)

// ErrBusy refuses a run asked for while another one runs or waits.
var ErrBusy = errkind.New(errkind.Conflict, "a backup or a verification is already running")

// Retries after a failure wait RetryFirst, then twice as long each time,
// never longer than the schedule's period; a target held by another
// process's backup (the maintenance lock) is tried again after LockRetry.
const (
	RetryFirst = 5 * time.Minute
	LockRetry  = time.Minute
)

// Options builds a Scheduler.
type Options struct {
	Repo       *repo.Service
	Live       storage.BlobStore // the live store (the Bucket target's blobs)
	LiveBucket string            // its bucket name, for messages
	File       config.Backup     // the configuration file's section
	TempDir    string            // where snapshots are built and verified (the data disk)
	Version    string
	Logger     *slog.Logger
	Clock      jobs.Clock     // nil: the wall clock
	Location   *time.Location // where days begin for thinning
	// Open opens a target; nil: OpenTarget.
	Open func(ctx context.Context, t config.BackupTarget) (backup.Target, func(), error)
}

// Scheduler runs the backups. Its Job is the loop; Trigger and
// SaveSettings talk to it from web requests.
type Scheduler struct {
	o    Options
	kick chan request

	mu       sync.Mutex
	running  string               // kind of the run in progress
	batch    string               // kind of the runs in progress (one per target), kept between them
	busyTill map[string]time.Time // target → when to try again after finding the lock held
	loops    atomic.Int64         // times the loop went back to waiting (tests)
}

type request struct{ kind, by string }

// New returns a scheduler; start its Job in the server's job runner.
func New(o Options) *Scheduler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = wallClock{}
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	s := &Scheduler{o: o, kick: make(chan request, 1), busyTill: map[string]time.Time{}}
	if s.o.Open == nil {
		s.o.Open = func(ctx context.Context, t config.BackupTarget) (backup.Target, func(), error) {
			return OpenTarget(ctx, t, o.Live, o.LiveBucket, o.Logger)
		}
	}
	return s
}

type wallClock struct{}

func (wallClock) Now() time.Time                         { return time.Now() }
func (wallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Job is the scheduler's loop, for the server's job runner.
func (s *Scheduler) Job() jobs.Job { return jobs.Job{Name: "backup.schedule", Run: s.Run} }

// Loops counts the times the loop went back to waiting: a test that moves
// the clock waits for it to grow to know the work is done.
func (s *Scheduler) Loops() int64 { return s.loops.Load() }

// Settings are the settings in force: those saved from the browser, or
// the configuration file's.
func (s *Scheduler) Settings(ctx context.Context) (set config.Backup, fromDB bool, at time.Time, err error) {
	raw, at, ok, err := s.o.Repo.Maintenance.BackupSettings(ctx)
	if err != nil || !ok {
		return s.o.File, false, time.Time{}, err
	}
	set = config.DefaultBackup()
	if err := json.Unmarshal([]byte(raw), &set); err != nil {
		return s.o.File, false, time.Time{}, fmt.Errorf("read the saved backup settings: %w", err)
	}
	return set, true, at, nil
}

// SaveSettings validates and saves settings (administrators only); the
// schedule follows them at once.
func (s *Scheduler) SaveSettings(ctx context.Context, p acl.Principal, set config.Backup) error {
	if err := set.Validate(); err != nil {
		return fmt.Errorf("%w: %w", repo.ErrInvalid, err)
	}
	b, err := json.Marshal(set)
	if err != nil {
		return err
	}
	var names []string
	for _, t := range set.Targets {
		names = append(names, t.Name+" ("+t.Kind+")")
	}
	if err := s.o.Repo.Maintenance.SetBackupSettings(ctx, p, string(b), map[string]any{"targets": names, "every": set.Every.String(),
		"verify_every": set.VerifyEvery.String(), "keep": set.Keep}); err != nil {
		return err
	}
	s.post(request{kind: "plan"})
	return nil
}

// Trigger asks for a backup or a verification of every target now, on
// behalf of by (a login); ErrBusy while one runs or waits.
func (s *Scheduler) Trigger(kind, by string) error {
	if kind != KindBackup && kind != KindVerify {
		return fmt.Errorf("%w: unknown run %q", repo.ErrInvalid, kind)
	}
	// Shown as running from now on, until the loop is idle again: the page
	// reloaded right after the click says so.
	s.mu.Lock()
	if s.running != "" || s.batch != "" {
		s.mu.Unlock()
		return ErrBusy
	}
	s.batch = kind
	s.mu.Unlock()
	select {
	case s.kick <- request{kind, by}:
		return nil
	default:
		s.setBatch("")
		return ErrBusy
	}
}

func (s *Scheduler) post(r request) {
	select {
	case s.kick <- r:
	default: // a request waits already: the loop plans again after it
	}
}

// Running is the kind of the run in progress, or "".
func (s *Scheduler) Running() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running != "" {
		return s.running
	}
	return s.batch
}

// setBatch marks a series of runs (one per target) as in progress, so the
// page does not say « idle » between two targets.
func (s *Scheduler) setBatch(kind string) {
	s.mu.Lock()
	s.batch = kind
	s.mu.Unlock()
}

// Run is the loop: it runs what is due, then waits for the next due time,
// a request, or the end of ctx.
func (s *Scheduler) Run(ctx context.Context) error {
	s.refreshMetrics(ctx)
	for {
		wait := time.Hour
		st, err := s.Status(ctx)
		if err != nil {
			s.o.Logger.Error("backup schedule", "err", err)
		} else if due := st.due(s.o.Clock.Now()); len(due) > 0 {
			s.setBatch(due[0].kind)
			for _, d := range due {
				s.run(ctx, d.kind, d.target, d.trigger)
			}
			continue
		} else if !st.NextRun.IsZero() {
			wait = min(wait, st.NextRun.Sub(s.o.Clock.Now()))
		}
		s.setBatch("")
		s.loops.Add(1)
		select {
		case <-ctx.Done():
			return nil
		case <-s.o.Clock.After(max(wait, time.Second)):
		case r := <-s.kick:
			if r.kind == KindBackup || r.kind == KindVerify {
				s.setBatch(r.kind)
				set, _, _, err := s.Settings(ctx)
				if err != nil {
					s.o.Logger.Error("backup schedule", "err", err)
					continue
				}
				for _, t := range set.Targets {
					s.run(ctx, r.kind, t, r.by)
				}
			}
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// RunNow does one backup or verification of the target named name, as
// `notreasso backup --target` does, recorded like a scheduled one; ErrBusy
// when another process holds the maintenance lock.
func (s *Scheduler) RunNow(ctx context.Context, kind, name, trigger string) (repo.BackupRun, error) {
	set, _, _, err := s.Settings(ctx)
	if err != nil {
		return repo.BackupRun{}, err
	}
	t, ok := set.Target(name)
	if !ok {
		var names []string
		for _, t := range set.Targets {
			names = append(names, t.Name)
		}
		return repo.BackupRun{}, fmt.Errorf("%w: no backup target named %q (configured: %v)", repo.ErrNotFound, name, names)
	}
	r, err := s.run(ctx, kind, t, trigger)
	if err == nil && !r.OK {
		err = errors.New(r.Error)
	}
	return r, err
}

// run does one backup or verification of one target and records it. The
// error is ErrBusy (the lock is held elsewhere) or a failure to record;
// the run's own failure is in the returned run.
func (s *Scheduler) run(ctx context.Context, kind string, t config.BackupTarget, trigger string) (repo.BackupRun, error) {
	if ctx.Err() != nil {
		return repo.BackupRun{}, ctx.Err()
	}
	s.mu.Lock()
	s.running = kind
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = ""
		s.mu.Unlock()
	}()
	// One at a time, also against `notreasso backup` and the collector in
	// other processes: the maintenance lock. Held elsewhere, the run waits
	// a little and is not counted as a failure.
	release, err := s.o.Repo.Maintenance.MaintenanceLock(ctx, "scheduled "+kind)
	if err != nil {
		s.o.Logger.Info("backup postponed: the maintenance lock is held", "target", t.Name, "kind", kind, "err", err)
		s.mu.Lock()
		s.busyTill[t.Name] = s.o.Clock.Now().Add(LockRetry)
		s.mu.Unlock()
		return repo.BackupRun{}, fmt.Errorf("%w: %w", ErrBusy, err)
	}
	defer release()
	// Several servers sharing one database each run this loop: the one
	// that took the lock after another finished finds the run recorded and
	// leaves it done, so a schedule runs once for the cluster.
	if trigger == "schedule" || trigger == "retry" || trigger == "repair" {
		st, err := s.Status(ctx)
		if err != nil {
			return repo.BackupRun{}, err
		}
		if !st.dueFor(kind, t.Name, s.o.Clock.Now()) {
			s.o.Logger.Info("scheduled run done by another server", "target", t.Name, "kind", kind)
			return repo.BackupRun{}, nil
		}
	}
	start := s.o.Clock.Now()
	id, err := s.o.Repo.Maintenance.StartBackupRun(ctx, kind, t.Name, trigger, start)
	if err != nil {
		s.o.Logger.Error("backup", "target", t.Name, "err", err)
		s.mu.Lock()
		s.busyTill[t.Name] = s.o.Clock.Now().Add(LockRetry)
		s.mu.Unlock()
		return repo.BackupRun{}, err
	}
	r := repo.BackupRun{ID: id, Kind: kind, Target: t.Name, StartedAt: start, Trigger: trigger}
	if kind == KindBackup {
		err = s.backup(ctx, t, &r)
	} else {
		err = s.verify(ctx, t, &r)
	}
	r.FinishedAt = s.o.Clock.Now()
	r.Duration = r.FinishedAt.Sub(start)
	r.OK = err == nil
	if err != nil {
		r.Error = err.Error()
		if ctx.Err() != nil {
			r.Error = "interrupted: the server stopped during the run"
		}
		s.o.Logger.Error("scheduled "+kind+" failed", "target", t.Name, "err", err, "took", r.Duration)
	} else {
		s.o.Logger.Info("scheduled "+kind+" done", "target", t.Name, "snapshot", r.Snapshot, "copied", r.Copied, "took", r.Duration)
	}
	// Recorded even when the server is stopping.
	ferr := s.o.Repo.Maintenance.FinishBackupRun(context.WithoutCancel(ctx), r)
	if ferr != nil {
		s.o.Logger.Error("backup", "target", t.Name, "err", ferr)
	}
	s.observe(r)
	return r, ferr
}

func (s *Scheduler) backup(ctx context.Context, t config.BackupTarget, r *repo.BackupRun) error {
	set, _, _, err := s.Settings(ctx)
	if err != nil {
		return err
	}
	tg, closeTarget, err := s.o.Open(ctx, t)
	if err != nil {
		return err
	}
	defer closeTarget()
	bad, err := s.o.Repo.Maintenance.BadBlobs(ctx, t.Name)
	if err != nil {
		return err
	}
	thin := Thinning(set)
	rep, err := backup.Backup(ctx, s.o.Repo, tg, backup.Options{TempDir: s.o.TempDir, Keep: set.Keep, Thin: &thin,
		Location: s.o.Location, Recopy: bad, Now: s.o.Clock.Now, Locked: true, Version: s.o.Version})
	r.Snapshot, r.Bytes, r.Copied, r.Snapshots, r.Stored = rep.Name, rep.Manifest.Bytes, rep.CopiedBytes, rep.Snapshots, rep.Stored
	r.Reclaimed = rep.Reclaimed
	if err != nil {
		return err
	}
	return s.o.Repo.Maintenance.ClearBadBlobs(ctx, t.Name, bad)
}

func (s *Scheduler) verify(ctx context.Context, t config.BackupTarget, r *repo.BackupRun) error {
	set, _, _, err := s.Settings(ctx)
	if err != nil {
		return err
	}
	tg, closeTarget, err := s.o.Open(ctx, t)
	if err != nil {
		return err
	}
	defer closeTarget()
	rep, err := backup.Verify(ctx, tg, backup.VerifyOptions{TempDir: s.o.TempDir, Live: s.o.Live, Sample: set.VerifySample, Logger: s.o.Logger})
	r.Snapshot, r.Bytes = rep.Name, rep.Manifest.Bytes
	if merr := s.o.Repo.Maintenance.MarkBadBlobs(context.WithoutCancel(ctx), t.Name, rep.Bad); merr != nil && err == nil {
		err = merr
	}
	return err
}

// Thinning is the snapshot retention of set: every snapshot of the last
// day, then one a day, a week, a month for Daily days, Weekly weeks,
// Monthly months.
func Thinning(set config.Backup) retention.Policy {
	p := retention.Policy{EveryFor: retention.Day}
	p.DailyFor = max(p.EveryFor, time.Duration(set.Daily)*retention.Day)
	p.WeeklyFor = max(p.DailyFor, time.Duration(set.Weekly)*retention.Week)
	p.MonthlyFor = max(p.WeeklyFor, time.Duration(set.Monthly)*31*retention.Day)
	return p
}

// backoff is the delay before the next try after n failures in a row.
func backoff(n int, every time.Duration) time.Duration {
	d := RetryFirst
	for i := 1; i < n && d < 24*time.Hour; i++ {
		d *= 2
	}
	if every > 0 {
		d = min(d, every)
	}
	return d
}
