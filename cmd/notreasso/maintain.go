package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"notreasso/internal/config"
	"notreasso/internal/jobs"
	"notreasso/internal/repo"
	"notreasso/internal/retention"
	"notreasso/internal/units"

	"golang.org/x/text/language"
)

// retentionOptions puts the configured default policy and calendar into
// the repository options.
func retentionOptions(cfg config.Config, o *repo.Options) error {
	pol, err := cfg.RetentionPolicy()
	if err != nil {
		return err
	}
	loc, err := cfg.Location()
	if err != nil {
		return err
	}
	o.Retention, o.Location = &pol, loc
	return nil
}

// maintenanceJobs are the scheduled purges (expired trash items, versions
// the rules do not keep) and blob sweeps. Each run is journaled by the
// repository and logged here. First runs come shortly after start, not at
// once: a restart loop must not turn into a purge loop, and start-up stays
// fast.
func maintenanceJobs(a *app) []jobs.Job {
	var js []jobs.Job
	if every := a.cfg.Retention.Interval; every > 0 {
		js = append(js, jobs.Job{Name: "maintenance.purge", Every: every, First: min(every, time.Minute),
			Run: oncePerCluster(a, "maintenance.purge", every, runPurge)})
	}
	if every := a.cfg.GC.Interval; every > 0 {
		js = append(js, jobs.Job{Name: "maintenance.gc", Every: every, First: min(every, 5*time.Minute),
			Run: oncePerCluster(a, "maintenance.gc", every, runGC)})
	}
	if len(js) == 0 {
		a.log.Info("scheduled purge and sweep are off")
	}
	return js
}

// oncePerCluster runs a maintenance job under a lease (meta.DB.Lease): when
// several servers share one PostgreSQL database, one of them runs it per
// period, and another takes over if that one dies.
func oncePerCluster(a *app, name string, every time.Duration, run func(context.Context, *app) error) func(context.Context) error {
	return func(ctx context.Context) error {
		ran, err := a.db.Lease(ctx, name, every, time.Now, func(ctx context.Context) error { return run(ctx, a) })
		if err == nil && !ran {
			a.log.Info("maintenance left to another server", "job", name)
		}
		return err
	}
}

func runPurge(ctx context.Context, a *app) error {
	start := time.Now()
	expiry, _ := a.cfg.TrashExpiry() // validated at load
	if expiry != retention.Forever {
		items, err := a.repo.History.EmptyTrash(ctx, repo.System, time.Now().Add(-expiry))
		if err != nil {
			return fmt.Errorf("scheduled trash expiry: %w", err)
		} else if len(items) > 0 {
			a.log.Info("trash items expired", "items", len(items), "expiry", retention.FormatAge(expiry))
		}
	}
	rep, err := a.repo.History.PurgeVersions(ctx, repo.System, repo.PurgeOptions{})
	if err != nil {
		return fmt.Errorf("scheduled version purge: %w", err)
	}
	a.log.Info("versions purged", "files", len(rep.Files), "versions", rep.Versions, "bytes", rep.Bytes,
		"examined", rep.Examined, "took", time.Since(start))
	return nil
}

func runGC(ctx context.Context, a *app) error {
	start := time.Now()
	rep, err := a.repo.Maintenance.CollectGarbage(ctx, repo.System, repo.GCOptions{Grace: a.cfg.GC.Grace})
	if errors.Is(err, repo.ErrUnavailable) {
		// Another process (a `notreasso gc` beside the server) holds the
		// maintenance lock: not a failure, the next run will do it.
		a.log.Warn("scheduled sweep skipped", "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("scheduled sweep: %w", err)
	}
	a.log.Info("unused content swept", "deleted", rep.Deleted, "bytes", rep.Bytes, "stored", rep.Stored,
		"orphans", rep.Orphans, "young", rep.Young, "resumed", rep.Resumed, "took", time.Since(start))
	return nil
}

// formatBytes writes a size the way people read it: 12.4 MB.
func formatBytes(n int64) string { return units.Size(language.English, n) }
