package main

import (
	"context"
	"fmt"
	"net"
	"notreasso/internal/meta"
	"notreasso/internal/metrics"
	"notreasso/internal/pwhash"
	"notreasso/internal/repo"
	"os"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
	"notreasso/internal/backup/schedule"
	"notreasso/internal/jobs"
	"notreasso/internal/web"
	"notreasso/storage"
)

func serveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the server (web UI, API and WebDAV on one port)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := openAppExclusive(ctx, cmd)
			if err != nil {
				return err
			}
			defer func() {
				a.Close()
				a.log.Debug("database closed") // after every job stopped (TestSIGTERMJoinsBackgroundWork)
			}()
			return serve(ctx, a)
		},
	}
	cmd.Flags().String("addr", "127.0.0.1:8080", "listen address HOST:PORT; also NOTREASSO_ADDR")
	return cmd
}

func serve(ctx context.Context, a *app) error {
	if err := a.repo.Maintenance.CleanupSpool(); err != nil {
		a.log.Warn("clean spool", "err", err)
	}
	if err := bootstrapAdmin(ctx, a); err != nil {
		return err
	}
	if err := a.auth.RenewGeneration(ctx); err != nil {
		return err
	}
	idx, err := openIndexer(ctx, a)
	if err != nil {
		return err
	}
	defer idx.Close()
	intake := newIntake(a)
	pw, err := openPreviews(a)
	if err != nil {
		return err
	}
	loc, err := a.cfg.Location()
	if err != nil {
		return err
	}
	backups := schedule.New(schedule.Options{Repo: a.repo, Live: a.blobs, LiveBucket: a.cfg.Storage.S3.Bucket, File: a.cfg.Backup,
		TempDir: a.cfg.Data, Version: version, Logger: a.log, Location: loc})
	srv := web.New(web.Deps{Config: a.cfg, DB: a.db, Repo: a.repo, Auth: a.auth, Blobs: a.blobs, Logger: a.log, Version: version,
		Searcher: web.IndexSearcher(idx, a.repo), Texts: web.IndexTexts(idx), Intake: intake, Previews: pw, Backups: backups})
	srv.AddReadyCheck("index", idx.Ready)
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	a.log.Info("listening", "addr", ln.Addr().String(), "data", a.cfg.Data, "storage", a.cfg.Storage.Backend, "version", version)
	fmt.Fprintf(os.Stdout, "Notre Asso %s is running. Open %s/ and log in.\n", version, a.cfg.PublicURL())
	// Every background loop runs under one runner, stopped and joined
	// before the index and the database close (the deferred Closes above).
	runner := jobs.New(repo.WithSystemVia(ctx, "server"), a.log, nil)
	defer runner.Stop()
	js := []jobs.Job{
		{Name: "indexer", Run: func(ctx context.Context) error { idx.Run(ctx); return nil }},
		{Name: "previews", Run: pw.Run},
		{Name: "sessions.sweep", Every: time.Hour, First: time.Hour,
			Run: auth.NewSessionStorage(a.db).Sweep},
		termRemindersJob(a, srv.TermNotifier()),
	}
	// Uploads in progress may be in the shared bucket: one server sweeps
	// them per period.
	js = append(js, jobs.Job{Name: "uploads.sweep", Every: 10 * time.Minute,
		Run: oncePerCluster(a, "uploads.sweep", 10*time.Minute, func(ctx context.Context, a *app) error {
			n, err := a.repo.Uploads.Sweep(ctx)
			if n > 0 {
				a.log.Info("expired abandoned uploads", "count", n)
			}
			return err
		})})
	js = append(js, srv.MailJobs()...) // the mail sender and the digests
	metrics.ObserveDB(a.db.R, a.db.W)
	if a.db.Dialect() == meta.Postgres {
		// Another server's change wakes this one's indexer at once.
		js = append(js, jobs.Job{Name: "journal.listen", Run: func(ctx context.Context) error {
			return a.db.Listen(ctx, a.repo.ExternalChange)
		}})
	}
	js = append(js, intake.Job())
	js = append(js, maintenanceJobs(a)...)
	js = append(js, backups.Job())
	if j, ok := recoverStagedJob(a); ok {
		js = append(js, j)
	}
	if err := runner.Start(js...); err != nil {
		return err
	}
	// Start-up garbage (migrations, templates, the first administrator's
	// password hash) would otherwise stay resident until the runtime's
	// lazy scavenging gets to it.
	debug.FreeOSMemory()
	return srv.Listen(ctx, ln, a.cfg.ShutdownGrace)
}

// bootstrapAdmin creates the first administrator on a fresh install, with
// NOTREASSO_ADMIN_PASSWORD or a random password printed once.
func bootstrapAdmin(ctx context.Context, a *app) error {
	n, err := a.auth.Count(ctx)
	if err != nil || n > 0 {
		return err
	}
	pw := os.Getenv("NOTREASSO_ADMIN_PASSWORD")
	printed := pw == ""
	if printed {
		pw = pwhash.Random()
	}
	if _, err := a.auth.CreateUser(ctx, 0, "admin", pw, acl.Admin); err != nil {
		if n, _ := a.auth.Count(ctx); n > 0 {
			return nil // another server sharing the database created it first
		}
		return fmt.Errorf("create the administrator: %w", err)
	}
	if printed {
		fmt.Fprintf(os.Stdout, "\nFirst start: created the administrator account.\n  login:    admin\n  password: %s\n(shown once; change it with `notreasso user passwd admin`)\n\n", pw)
	} else {
		fmt.Fprintln(os.Stdout, "First start: created the administrator account \"admin\" with the password from NOTREASSO_ADMIN_PASSWORD.")
	}
	return nil
}

// A staging object of a streamed S3 upload is finished (if a pointer names
// it) once 15 minutes old, and removed (if none does) once a day old: more
// than any upload takes (see s3.Store.RecoverStaged).
const stagedFinishAge, stagedRemoveAge = 15 * time.Minute, 24 * time.Hour

// recoverStagedJob finishes or removes, at start and then hourly, what
// streamed S3 uploads left behind when a process stopped mid-way.
func recoverStagedJob(a *app) (jobs.Job, bool) {
	rs, ok := a.blobs.(storage.UploadJanitor)
	if !ok {
		return jobs.Job{}, false
	}
	return jobs.Job{Name: "storage.recover_staged", Every: time.Hour, Run: func(ctx context.Context) error {
		fin, rm, err := rs.RecoverStaged(ctx, stagedFinishAge, stagedRemoveAge)
		if err != nil {
			return fmt.Errorf("recover staged uploads: %w", err)
		}
		if fin+rm > 0 {
			a.log.Info("staged uploads recovered", "finished", fin, "removed", rm)
		}
		return nil
	}}, true
}

// termRemindersJob reminds holders and administrators of the terms of
// office ending within auth.ReminderDays, at start and then hourly,
// through n (e-mail, see web.Server.TermNotifier).
func termRemindersJob(a *app, n auth.TermNotifier) jobs.Job {
	return jobs.Job{Name: "terms.remind", Every: time.Hour, Run: func(ctx context.Context) error {
		_, err := a.auth.RemindTermsEnding(ctx, n)
		return err
	}}
}
