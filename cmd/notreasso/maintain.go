package main

import (
	"context"
	"fmt"
	"time"

	"notreasso/internal/config"
	"notreasso/internal/repo"
	"notreasso/internal/retention"
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

// maintain runs the scheduled purges (expired trash items, versions the
// rules do not keep) and blob collections until ctx ends. Each run is
// journaled by the repository and logged here.
func maintain(ctx context.Context, a *app) {
	purgeEvery, gcEvery := a.cfg.Retention.Interval, a.cfg.GC.Interval
	if purgeEvery <= 0 && gcEvery <= 0 {
		a.log.Info("scheduled purge and collection are off")
		return
	}
	// First runs shortly after start, not at once: a restart loop must not
	// turn into a purge loop, and start-up stays fast.
	nextPurge, nextGC := time.Now().Add(min(purgeEvery, time.Minute)), time.Now().Add(min(gcEvery, 5*time.Minute))
	for {
		next := nextPurge
		if purgeEvery <= 0 || gcEvery > 0 && nextGC.Before(next) {
			next = nextGC
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
		}
		if purgeEvery > 0 && !time.Now().Before(nextPurge) {
			runPurge(ctx, a)
			nextPurge = time.Now().Add(purgeEvery)
		}
		if gcEvery > 0 && !time.Now().Before(nextGC) {
			runGC(ctx, a)
			nextGC = time.Now().Add(gcEvery)
		}
	}
}

func runPurge(ctx context.Context, a *app) {
	start := time.Now()
	expiry, _ := a.cfg.TrashExpiry() // validated at load
	if expiry != retention.Forever {
		items, err := a.repo.EmptyTrash(ctx, repo.System, time.Now().Add(-expiry))
		if err != nil {
			a.log.Error("scheduled trash expiry", "err", err)
		} else if len(items) > 0 {
			a.log.Info("trash items expired", "items", len(items), "expiry", retention.FormatAge(expiry))
		}
	}
	rep, err := a.repo.PurgeVersions(ctx, repo.System, repo.PurgeOptions{})
	if err != nil {
		a.log.Error("scheduled version purge", "err", err)
		return
	}
	a.log.Info("versions purged", "files", len(rep.Files), "versions", rep.Versions, "bytes", rep.Bytes,
		"examined", rep.Examined, "took", time.Since(start))
}

func runGC(ctx context.Context, a *app) {
	start := time.Now()
	rep, err := a.repo.CollectGarbage(ctx, repo.System, repo.GCOptions{Grace: a.cfg.GC.Grace})
	if err != nil {
		a.log.Warn("scheduled collection", "err", err)
		return
	}
	a.log.Info("unused content collected", "deleted", rep.Deleted, "bytes", rep.Bytes, "stored", rep.Stored,
		"orphans", rep.Orphans, "young", rep.Young, "resumed", rep.Resumed, "took", time.Since(start))
}

// formatBytes writes a size the way people read it: 12.4 MB.
func formatBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
