package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"notreasso/internal/transfer"
)

func importCmd() *cobra.Command {
	var into, as string
	var workers int
	var includeSystem, progress bool
	cmd := &cobra.Command{
		Use:   "import DIR",
		Short: "Import a folder tree (a USB stick, a cloud export, someone's Documents) into the repository",
		Long: `import copies every file under DIR into the repository folder --into (the
root by default), keeping the folder structure and modification times. Each
file is uploaded as --as (admin by default): that account's rights apply and
the journal names it. Identical content is stored once. Files already there
with the same content are left alone, so importing again adds nothing; an
interrupted import (Ctrl-C, a crash) resumes where it stopped when run again.
Names the repository cannot take are repaired (Unicode NFC, control
characters replaced, bytes from old Windows read as Windows-1252, names over
255 bytes shortened) and listed; what is skipped is listed with the reason.
The server may keep running meanwhile.`,
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
			src, err := filepath.Abs(args[0])
			if err != nil {
				return err
			}
			key := sha256.Sum256([]byte(src + "\x00" + into + "\x00" + as))
			opts := transfer.ImportOptions{Into: into, As: p, MaxSize: a.cfg.MaxUpload, IncludeSystem: includeSystem, Workers: workers,
				StateFile: filepath.Join(a.cfg.Data, "import", hex.EncodeToString(key[:8])+".jsonl")}
			var bar *progressbar.ProgressBar
			if progress || isTerminal(errFile(cmd)) {
				opts.OnScan = func(files int, bytes int64) {
					bar = progressbar.NewOptions64(bytes, progressbar.OptionSetWriter(cmd.ErrOrStderr()),
						progressbar.OptionSetDescription(fmt.Sprintf("importing %d files", files)), progressbar.OptionShowBytes(true),
						progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond),
						progressbar.OptionFullWidth(), progressbar.OptionOnCompletion(func() { fmt.Fprintln(cmd.ErrOrStderr()) }))
				}
				opts.OnProgress = func(n int64) { bar.Add64(n) }
			}
			start := time.Now()
			rep, err := transfer.Import(ctx, a.repo, src, opts)
			if bar != nil {
				bar.Exit()
			}
			printImport(cmd.OutOrStdout(), src, into, as, rep, time.Since(start))
			if errors.Is(err, context.Canceled) {
				return fmt.Errorf("import interrupted; run the same command again to resume")
			}
			return err
		},
	}
	cmd.Flags().StringVar(&into, "into", "/", "repository folder to import into (created if missing)")
	cmd.Flags().StringVar(&as, "as", "admin", "account the files are uploaded as")
	cmd.Flags().IntVar(&workers, "workers", 4, "files uploaded at once")
	cmd.Flags().BoolVar(&includeSystem, "include-system-files", false, "also import .DS_Store, Thumbs.db, desktop.ini, ~$ lock files…")
	cmd.Flags().BoolVar(&progress, "progress", false, "show the progress bar even when standard error is not a terminal")
	return cmd
}

func printImport(w io.Writer, src, into, as string, rep transfer.ImportReport, took time.Duration) {
	fmt.Fprintf(w, "Import of %s into %s as %s (%s):\n", src, into, as, took.Round(time.Millisecond))
	fmt.Fprintf(w, "  %d files (%s) in %d folders\n", rep.Files, formatBytes(rep.Bytes), rep.Folders)
	fmt.Fprintf(w, "  %d new, %d updated (new version), %d already there, %d imported by an earlier run\n",
		rep.Created, rep.Updated, rep.Unchanged, rep.Resumed)
	if rep.Duplicates > 0 {
		fmt.Fprintf(w, "  files with the same content as another one: %d (stored once)\n", rep.Duplicates)
	}
	if len(rep.Renamed) > 0 {
		fmt.Fprintf(w, "Renamed (%d): the repository could not take these names as they were\n", len(rep.Renamed))
		for _, r := range rep.Renamed {
			fmt.Fprintf(w, "  %s → %s\n", printable(r.Path), r.Dest)
		}
	}
	if len(rep.Skipped) > 0 {
		fmt.Fprintf(w, "Skipped (%d):\n", len(rep.Skipped))
		for _, s := range rep.Skipped {
			fmt.Fprintf(w, "  %s: %s\n", printable(s.Path), s.Reason)
		}
	}
}
