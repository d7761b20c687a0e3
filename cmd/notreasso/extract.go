package main

import (
	"os"

	"github.com/spf13/cobra"

	"notreasso/indexer/extract"
)

// extractCmd is the isolated extraction worker: the indexer starts the
// binary itself as `notreasso extract …` with time and memory limits,
// because some PDFs make parsers spin forever or panic.
func extractCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "extract",
		Short:              "Extraction worker (started by the indexer; not for direct use)",
		Hidden:             true,
		DisableFlagParsing: true,
		Run: func(cmd *cobra.Command, args []string) {
			os.Exit(extract.WorkerMain(args, os.Stdout, os.Stderr))
		},
	}
}
