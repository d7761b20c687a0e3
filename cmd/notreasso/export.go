package main

import (
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"notreasso/internal/transfer"
)

func exportCmd() *cobra.Command {
	var from, as string
	var allVersions, progress bool
	cmd := &cobra.Command{
		Use:   "export DIR",
		Short: "Write the latest version of every file to DIR as a plain folder tree, with a metadata file",
		Long: `export writes to DIR (which must not exist or be empty):

  DIR/files/…           the latest version of every file, folders as they are,
                        modification times kept: open it with anything
  DIR/versions/…/vN.ext  every older version (with --all-versions)
  DIR/metadata.jsonl    one JSON object per line: the export, accounts and
                        groups, then every folder and file with its tags,
                        grants, retention rule and versions (author, date,
                        label, pin)

It exports what --as (admin by default) may read; accounts and grants only
for an administrator. Every byte written is checked against its SHA-256.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			a, err := openApp(ctx, cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			p, err := principalFor(ctx, a, as)
			if err != nil {
				return err
			}
			opts := transfer.ExportOptions{From: from, As: p, AllVersions: allVersions}
			var bar *progressbar.ProgressBar
			if progress || isTerminal(errFile(cmd)) {
				opts.OnScan = func(files int, bytes int64) {
					bar = progressbar.NewOptions64(bytes, progressbar.OptionSetWriter(cmd.ErrOrStderr()),
						progressbar.OptionSetDescription(fmt.Sprintf("exporting %d files", files)), progressbar.OptionShowBytes(true),
						progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionFullWidth(),
						progressbar.OptionOnCompletion(func() { fmt.Fprintln(cmd.ErrOrStderr()) }))
				}
				opts.OnProgress = func(n int64) { bar.Add64(n) }
			}
			start := time.Now()
			rep, err := transfer.Export(ctx, a.repo, args[0], opts)
			if bar != nil {
				bar.Exit()
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Exported %s to %s in %s: %d folders, %d files, %d older versions, %s.\nMetadata: %s\n",
				from, args[0], time.Since(start).Round(time.Millisecond), rep.Folders, rep.Files, rep.Versions, formatBytes(rep.Bytes), rep.Metadata)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "/", "repository folder to export")
	cmd.Flags().StringVar(&as, "as", "admin", "account whose view is exported")
	cmd.Flags().BoolVar(&allVersions, "all-versions", false, "also write every older version under DIR/versions")
	cmd.Flags().BoolVar(&progress, "progress", false, "show the progress bar even when standard error is not a terminal")
	return cmd
}
