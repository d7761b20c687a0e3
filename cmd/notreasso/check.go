package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"notreasso/internal/repo"
	blobfs "notreasso/storage/fs"
)

// exitError ends the program with a given status (for monitoring).
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

func checkCmd() *cobra.Command {
	var quick, repair bool
	var blobsFrom string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Verify the repository: content present and intact, tree and journal in agreement",
		Long: `check verifies that every version's content is in the blob store with the
right size and SHA-256 (--quick: size only), that the tree is a tree, that
each file's current version exists, and that the journal agrees with the
tree. It also lists what interrupted work left behind (content stored by an
upload that never finished, an interrupted sweep, old spool files):
those are notes, not faults.

Exit status: 0 consistent, 1 inconsistencies found, 2 the check could not
run. --repair fixes what is safe to fix (a file's lost current version,
interrupted sweeps, old spool files, and with --blobs-from a backup
directory, missing or damaged content, verified against its hash) and
journals each repair. It is safe while the server runs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := openApp(ctx, cmd)
			if err != nil {
				return exitError{2, err.Error()}
			}
			defer a.Close()
			o := repo.CheckOptions{Quick: quick, Repair: repair}
			if blobsFrom != "" {
				if o.Backup, err = blobfs.New(filepath.Join(blobsFrom, "blobs")); err != nil {
					return exitError{2, err.Error()}
				}
			}
			rep, err := a.repo.Maintenance.Check(ctx, o)
			if err != nil {
				return exitError{2, fmt.Sprintf("check: %v", err)}
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Checked %d nodes, %d versions, %d contents (%s read), %d journal entries in %s.\n",
				rep.Nodes, rep.Versions, rep.Blobs, formatBytes(rep.Hashed), rep.JournalEntries, rep.Took.Round(time.Millisecond))
			for _, f := range rep.Findings {
				fmt.Fprintf(out, "%-5s %s: %s: %s\n", f.Severity, f.Kind, printable(f.Subject), f.Detail)
				if f.Repaired != "" {
					fmt.Fprintf(out, "      repaired: %s\n", f.Repaired)
				}
			}
			if n := rep.Errors(); n > 0 {
				return exitError{1, fmt.Sprintf("%d inconsistencies", n)}
			}
			fmt.Fprintln(out, "OK: no inconsistency.")
			return nil
		},
	}
	cmd.Flags().BoolVar(&quick, "quick", false, "check sizes only, do not read content to verify hashes")
	cmd.Flags().BoolVar(&repair, "repair", false, "repair what can be repaired safely")
	cmd.Flags().StringVar(&blobsFrom, "blobs-from", "", "with --repair: a backup directory (notreasso backup) to copy missing or damaged content from")
	return cmd
}
