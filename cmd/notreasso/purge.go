package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"notreasso/internal/repo"
	"notreasso/internal/retention"
)

func purgeCmd() *cobra.Command {
	var dryRun, verbose, emptyTrash bool
	var path string
	cmd := &cobra.Command{
		Use:   "purge",
		Short: "Apply the retention rules now: delete expired trash items and the versions the rules do not keep",
		Long: `purge does at once what the server does on its schedule (retention.interval):
trash items older than trash.expiry are deleted for good, then each file's
versions that its retention rule does not keep. Current, pinned and labelled
versions are never deleted. Every removal is journaled. The content itself is
freed by the next sweep (notreasso gc).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := openApp(ctx, cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			out := cmd.OutOrStdout()
			would := map[bool]string{true: "would delete", false: "deleted"}[dryRun]
			if !dryRun && path == "" {
				expiry, _ := a.cfg.TrashExpiry()
				var before time.Time
				switch {
				case emptyTrash:
				case expiry == retention.Forever:
					before = time.Unix(0, 1) // nothing is that old
				default:
					before = time.Now().Add(-expiry)
				}
				items, err := a.repo.History.EmptyTrash(ctx, repo.System, before)
				if err != nil {
					return err
				}
				printTrashPurge(out, items, emptyTrash, retention.FormatAge(expiry))
			}
			rep, err := a.repo.History.PurgeVersions(ctx, repo.System, repo.PurgeOptions{DryRun: dryRun, Path: path})
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "Versions: %d files with several versions examined; %s %d versions (%s) from %d files.\n",
				rep.Examined, would, rep.Versions, formatBytes(rep.Bytes), len(rep.Files))
			if verbose || dryRun {
				for _, f := range rep.Files {
					rule := "default rule"
					if f.RulePath != "" {
						rule = "rule of " + f.RulePath
					}
					nums := make([]string, len(f.Removed))
					for i, v := range f.Removed {
						nums[i] = fmt.Sprintf("%d (%s, %s)", v.Number, v.CreatedAt.Format("2006-01-02 15:04"), v.Reason)
					}
					fmt.Fprintf(out, "  %s: %s versions %s; %d kept (%s: %s)\n", f.Path, would, strings.Join(nums, ", "), f.Kept, rule, f.Rule)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would be deleted, delete nothing (the trash is left alone)")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list every file that loses versions")
	cmd.Flags().BoolVar(&emptyTrash, "empty-trash", false, "delete everything in the trash for good, not only expired items")
	cmd.Flags().StringVar(&path, "path", "", "only purge versions of files below this folder (the trash is left alone)")
	return cmd
}

func printTrashPurge(out io.Writer, items []repo.TrashPurge, all bool, expiry string) {
	var files, versions int
	var bytes int64
	for _, it := range items {
		files += it.Files
		versions += it.Versions
		bytes += it.Bytes
	}
	which := "older than " + expiry
	if all {
		which = "(all)"
	}
	fmt.Fprintf(out, "Trash: %d items %s deleted for good (%d files, %d versions, %s).\n", len(items), which, files, versions, formatBytes(bytes))
}

func gcCmd() *cobra.Command {
	var dryRun bool
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Delete stored content that no version uses any more",
		Long: `gc deletes from the blob store (disk or bucket) the content no version of
any file refers to, once unused for the grace period (gc.grace, 24h by
default). It is safe while the server runs and uploads arrive, and waits for
no one: if a backup or another collection holds the maintenance lock, it says
so and stops.`,
		Args: cobra.NoArgs,
		RunE: withApp(func(cmd *cobra.Command, _ []string, a *app) error {
			if !cmd.Flags().Changed("grace") {
				grace = a.cfg.GC.Grace
			}
			rep, err := a.repo.Maintenance.CollectGarbage(cmd.Context(), repo.System, repo.GCOptions{Grace: grace, DryRun: dryRun})
			if err != nil {
				return err
			}
			would := map[bool]string{true: "would delete", false: "deleted"}[dryRun]
			fmt.Fprintf(cmd.OutOrStdout(), "%d stored objects; %d recorded but unused, %d never recorded (interrupted uploads).\n"+
				"%s %d (%s); %d kept for now (used less than %s ago).\n",
				rep.Stored, rep.Unreferenced, rep.Orphans, would, rep.Deleted, formatBytes(rep.Bytes), rep.Young, grace)
			if rep.Resumed > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "Finished %d deletions an interrupted sweep had started.\n", rep.Resumed)
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "count what would be deleted, delete nothing")
	cmd.Flags().DurationVar(&grace, "grace", 24*time.Hour, "keep content unused for less than this (default: gc.grace)")
	return cmd
}
