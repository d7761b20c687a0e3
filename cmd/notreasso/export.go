package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"notreasso/internal/transfer"
)

func exportCmd() *cobra.Command {
	var from, as, format string
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
for an administrator. Every byte written is checked against its SHA-256.

With --format zip or tar, the same layout is written as one archive to the
file DIR names (or to standard output for -), streamed as it is read: the
« Télécharger une copie complète » button of the « Sauvegardes » page.

  notreasso export --format tar /mnt/usb/copie-complete.tar
  notreasso export --format zip - | ssh nouvel-hebergeur 'cat > copie.zip'`,
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
			if format != "" {
				return exportArchive(cmd, a, args[0], format, opts, bar)
			}
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
	cmd.Flags().StringVar(&format, "format", "", "write one zip or tar archive to the file DIR (- for standard output) instead of a folder")
	cmd.Flags().BoolVar(&allVersions, "all-versions", false, "also write every older version under DIR/versions")
	cmd.Flags().BoolVar(&progress, "progress", false, "show the progress bar even when standard error is not a terminal")
	return cmd
}

// exportArchive writes the export as one archive to file (- for stdout).
func exportArchive(cmd *cobra.Command, a *app, file, format string, opts transfer.ExportOptions, bar *progressbar.ProgressBar) error {
	if format != transfer.ArchiveZip && format != transfer.ArchiveTar {
		return fmt.Errorf("--format %q: zip or tar", format)
	}
	var w io.Writer = cmd.OutOrStdout()
	if file != "-" {
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	start := time.Now()
	rep, err := transfer.ExportArchive(cmd.Context(), a.repo, bw, format, a.cfg.Data, opts)
	if bar != nil {
		bar.Exit()
	}
	if err == nil {
		err = bw.Flush()
	}
	if err == nil && file != "-" {
		err = w.(*os.File).Sync()
	}
	if err != nil {
		if file != "-" {
			os.Remove(file) // an incomplete archive is not a copy
		}
		return err
	}
	if file != "-" {
		fmt.Fprintf(cmd.OutOrStdout(), "Exported %s to %s (%s) in %s: %d folders, %d files, %d older versions, %s.\n",
			opts.From, file, format, time.Since(start).Round(time.Millisecond), rep.Folders, rep.Files, rep.Versions, formatBytes(rep.Bytes))
	}
	return nil
}
