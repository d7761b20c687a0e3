package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"notreasso/internal/backup"
	"notreasso/internal/backup/schedule"
	"notreasso/internal/config"
	"notreasso/internal/meta"
	"notreasso/internal/repo"
)

// afterRestore runs once a restore is in place, with the configuration of
// the restored instance. Derived data belongs here: the search index is
// not in backups, and its owner registers its rebuild (or invalidation)
// with an init function. Without any, restore tells people what to run.
var afterRestore []func(ctx context.Context, cfg config.Config, out io.Writer) error

func restoreCmd() *cobra.Command {
	var bucket, force, list bool
	var snapshot, target string
	cmd := &cobra.Command{
		Use:   "restore [DIR]",
		Short: "Rebuild the data directory from a backup (directory or S3 bucket); the server must be stopped",
		Long: `restore puts back the database of a snapshot (the newest, or --snapshot) into
the data directory and copies into the blob store (local disk or bucket, as
configured) the content it refers to and lacks. A database already there is
only replaced with --force, and kept aside; restore first lists the accounts
the snapshot would add, remove or change (a role, a password) and refuses
without --force when there are any. Then it checks the result and says
which accounts, and which administrators, the restored instance has.

  notreasso restore /mnt/disque-usb/notreasso
  notreasso restore --bucket      (storage.backend s3: from the bucket's meta/)
  notreasso restore --target hors-site
                                  (a target of the backup section of the
                                  configuration file: on a new host, write it
                                  there first)
  notreasso restore DIR --list    (list the snapshots)

With database.url set (PostgreSQL), the snapshot (a SQLite file, whatever
the database it was taken from) is then copied into that database, which
must be empty (CREATE DATABASE …): as notreasso db migrate does.

The search index is not part of a backup: it is rebuilt from the restored
data (notreasso reindex).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if n := len(args) + map[bool]int{true: 1}[bucket] + map[bool]int{true: 1}[target != ""]; n != 1 {
				return fmt.Errorf("give a directory, --bucket or --target (one of them)")
			}
			cfg, err := config.Load(cmd.Flags(), os.Environ())
			if err != nil {
				return err
			}
			log := newLogger(cfg, os.Stderr)
			live, err := openBlobStore(ctx, cfg, log)
			if err != nil {
				return err
			}
			var t backup.Target
			switch {
			case target != "":
				tc, ok := cfg.Backup.Target(target)
				if !ok {
					return fmt.Errorf("no target %q in the backup section of the configuration (backup.targets)", target)
				}
				var release func()
				if t, release, err = schedule.OpenTarget(ctx, tc, live, cfg.Storage.S3.Bucket, log); err == nil {
					defer release()
				}
			case bucket:
				t, err = backup.OpenBucket(live, cfg.Storage.S3.Bucket)
			default:
				t, err = backup.OpenDir(args[0])
			}
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if list {
				names, err := backup.Snapshots(ctx, t)
				for _, n := range names {
					fmt.Fprintln(out, n)
				}
				return err
			}
			unlock, err := lockData(cfg.Data)
			if err != nil {
				return err
			}
			defer unlock()
			rep, err := backup.Restore(ctx, t, backup.RestoreOptions{Snapshot: snapshot, Data: cfg.Data, Blobs: live, Force: force})
			if rep.InPlace {
				printAccounts(out, rep)
				m := rep.Manifest
				fmt.Fprintf(out, "Restored %s (taken %s) into %s: %d folders, %d files, %d versions; copied %d contents (%s), %d already there.\n",
					rep.Name, m.Created.Format("2006-01-02 15:04:05 MST"), cfg.Data, m.Folders, m.Files, m.Versions,
					rep.Copied, formatBytes(rep.CopiedBytes), rep.Present)
			}
			if rep.MovedAside != "" {
				fmt.Fprintf(out, "The previous database is kept as %s.\n", rep.MovedAside)
			}
			if err != nil {
				return err
			}
			if err := restoreIntoPostgres(ctx, cfg, out); err != nil {
				return err
			}
			return afterRestoreSteps(ctx, cmd, cfg, out)
		},
	}
	cmd.Flags().BoolVar(&bucket, "bucket", false, "restore from the S3 bucket itself (storage.backend s3)")
	cmd.Flags().StringVar(&target, "target", "", "restore from this target of the configuration's backup section")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing database (kept aside)")
	cmd.Flags().BoolVar(&list, "list", false, "list the snapshots and stop")
	cmd.Flags().StringVar(&snapshot, "snapshot", "", "the snapshot to restore (a name from --list); the newest by default")
	return cmd
}

// restoreIntoPostgres copies the restored snapshot (DATA/meta.db) into the
// configured PostgreSQL database, as `notreasso db migrate` would, when
// the installation keeps its metadata there; the file is removed after,
// so nothing later mistakes it for the metadata in use.
func restoreIntoPostgres(ctx context.Context, cfg config.Config, out io.Writer) error {
	dsn, err := cfg.DatabaseDSN()
	if err != nil || !meta.IsPostgres(dsn) {
		return err
	}
	file := filepath.Join(cfg.Data, "meta.db")
	log := newLogger(cfg, io.Discard)
	src, err := meta.Open(ctx, file, log)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := meta.Open(ctx, dsn, log)
	if err != nil {
		return err
	}
	defer dst.Close()
	rep, err := src.CopyTo(ctx, dst, nil)
	if errors.Is(err, meta.ErrNotEmpty) {
		return fmt.Errorf("restore into %s: %w; restore into a new, empty database (the snapshot stays in %s)", dst.Name(), err, file)
	}
	if err != nil {
		return fmt.Errorf("restore into %s: %w (the snapshot stays in %s)", dst.Name(), err, file)
	}
	var total int64
	for _, t := range rep.Tables {
		total += t.Rows
	}
	fmt.Fprintf(out, "Copied into %s: %d rows in %d tables, every count verified.\n", dst.Name(), total, len(rep.Tables))
	src.Close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(file + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// printAccounts says who can sign in after the restore, and what changed:
// a snapshot can bring accounts, administrators among them.
func printAccounts(out io.Writer, rep backup.RestoreReport) {
	admins := backup.Admins(rep.Accounts)
	fmt.Fprintf(out, "Accounts in the snapshot: %d; administrators (%d): %s.\n", len(rep.Accounts), len(admins), strings.Join(admins, ", "))
	if len(rep.AccountChanges) > 0 {
		fmt.Fprintf(out, "Accounts changed by the restore (%d):\n", len(rep.AccountChanges))
		for _, c := range rep.AccountChanges {
			fmt.Fprintln(out, "  "+c)
		}
	}
}

// afterRestoreSteps checks the restored instance and rebuilds derived data.
func afterRestoreSteps(ctx context.Context, cmd *cobra.Command, cfg config.Config, out io.Writer) error {
	a, err := openApp(ctx, cmd)
	if err != nil {
		return err
	}
	rep, err := a.repo.Maintenance.Check(ctx, repo.CheckOptions{Quick: true})
	a.Close()
	if err != nil {
		return err
	}
	if n := rep.Errors(); n > 0 {
		return fmt.Errorf("the restored data has %d inconsistencies: run notreasso check for details", n)
	}
	fmt.Fprintf(out, "Checked: %d versions, every content present.\n", rep.Versions)
	for _, f := range afterRestore {
		if err := f(ctx, cfg, out); err != nil {
			return err
		}
	}
	if len(afterRestore) == 0 {
		fmt.Fprintf(out, "Next: rebuild the search index, a derived view not kept in backups: notreasso reindex --data %s\n", cfg.Data)
	}
	if _, err := os.Stat(filepath.Join(cfg.Data, "index")); err == nil {
		fmt.Fprintf(out, "Note: %s describes the data before the restore; the rebuild replaces it.\n", filepath.Join(cfg.Data, "index"))
	}
	return nil
}
