package main

import (
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"notreasso/internal/backup"
	"notreasso/internal/backup/schedule"
)

func backupCmd() *cobra.Command {
	var bucket, progress, verify bool
	var keep int
	var target string
	cmd := &cobra.Command{
		Use:   "backup [DIR]",
		Short: "Back up the database and the files, incrementally, to a directory or to the S3 bucket itself",
		Long: `backup takes a consistent snapshot of the database (while the server runs)
and copies the content it refers to that the backup lacks: content never
changes, so each file is copied once, ever.

  notreasso backup /mnt/disque-usb/notreasso   to a directory: DIR/blobs/ and DIR/meta/
  notreasso backup --bucket                    with storage.backend s3: the snapshot goes
                                               under meta/ in the bucket, beside the blobs,
                                               so the bucket alone can rebuild the service
  notreasso backup --target hors-site          to a target of the « Sauvegardes » page or of
                                               the backup section of the configuration: kept,
                                               thinned and shown on that page like the
                                               scheduled backups
  notreasso backup --target hors-site --verify restore its newest snapshot aside and check it

Snapshots older than the --keep newest are removed (content stays). Run it
at least as often as gc.grace (daily with the default 24h): the collector
then never deletes content the newest snapshot needs. Restore with
notreasso restore.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if target != "" {
				if bucket || len(args) > 0 {
					return fmt.Errorf("give a directory, --bucket or --target (one of them)")
				}
				return backupTarget(cmd, target, verify)
			}
			if bucket == (len(args) == 1) {
				return fmt.Errorf("give a directory, --bucket or --target (one of them)")
			}
			a, err := openApp(ctx, cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			var t backup.Target
			if bucket {
				t, err = backup.OpenBucket(a.blobs, a.cfg.Storage.S3.Bucket)
			} else {
				t, err = backup.OpenDir(args[0])
			}
			if err != nil {
				return err
			}
			o := backup.Options{TempDir: a.cfg.Data, Keep: keep, LockWait: 10 * time.Minute, Version: version}
			var bar *progressbar.ProgressBar
			if progress || isTerminal(errFile(cmd)) {
				o.OnScan = func(blobs int, bytes int64) {
					bar = progressbar.NewOptions64(bytes, progressbar.OptionSetWriter(cmd.ErrOrStderr()),
						progressbar.OptionSetDescription(fmt.Sprintf("checking %d contents", blobs)), progressbar.OptionShowBytes(true),
						progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionFullWidth(),
						progressbar.OptionOnCompletion(func() { fmt.Fprintln(cmd.ErrOrStderr()) }))
				}
				o.OnCopy = func(n int64) { bar.Add64(n) }
			}
			start := time.Now()
			rep, err := backup.Backup(ctx, a.repo, t, o)
			if bar != nil {
				bar.Exit()
			}
			m := rep.Manifest
			if rep.Name != "" && m.SnapshotSHA256 != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "Backup %s to %s in %s:\n  %d folders, %d files, %d versions, %d contents (%s)\n  copied %d contents (%s), %d already there; database snapshot %s (%s)\n",
					rep.Name, t, time.Since(start).Round(time.Millisecond), m.Folders, m.Files, m.Versions, m.Blobs, formatBytes(m.Bytes),
					rep.Copied, formatBytes(rep.CopiedBytes), rep.Present, m.Snapshot, formatBytes(m.SnapshotSize))
				for _, p := range rep.Pruned {
					fmt.Fprintf(cmd.OutOrStdout(), "  removed the old snapshot %s\n", p)
				}
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&bucket, "bucket", false, "back up into the S3 bucket itself (storage.backend s3)")
	cmd.Flags().IntVar(&keep, "keep", 30, "snapshots to keep (0: all)")
	cmd.Flags().StringVar(&target, "target", "", "back up to this configured target (its name on the Sauvegardes page)")
	cmd.Flags().BoolVar(&verify, "verify", false, "with --target: verify its newest snapshot instead")
	cmd.Flags().BoolVar(&progress, "progress", false, "show the progress bar even when standard error is not a terminal")
	return cmd
}

// backupTarget backs up to (or verifies) a configured target through the
// scheduler, so the run is recorded and shown like a scheduled one.
func backupTarget(cmd *cobra.Command, name string, verify bool) error {
	ctx := cmd.Context()
	a, err := openApp(ctx, cmd)
	if err != nil {
		return err
	}
	defer a.Close()
	loc, err := a.cfg.Location()
	if err != nil {
		return err
	}
	s := schedule.New(schedule.Options{Repo: a.repo, Live: a.blobs, LiveBucket: a.cfg.Storage.S3.Bucket, File: a.cfg.Backup,
		TempDir: a.cfg.Data, Version: version, Logger: a.log, Location: loc})
	kind := schedule.KindBackup
	if verify {
		kind = schedule.KindVerify
	}
	r, err := s.RunNow(ctx, kind, name, "cli")
	if err != nil {
		return err
	}
	if verify {
		fmt.Fprintf(cmd.OutOrStdout(), "Verified %s in %s: snapshot %s restores and is consistent.\n", name, r.Duration.Round(time.Millisecond), r.Snapshot)
		return nil
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Backup %s to %s in %s: %s of content, %s copied; %d snapshots kept, %s stored.\n",
		r.Snapshot, name, r.Duration.Round(time.Millisecond), formatBytes(r.Bytes), formatBytes(r.Copied), r.Snapshots, formatBytes(r.Stored))
	return nil
}
