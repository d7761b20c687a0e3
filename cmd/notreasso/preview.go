package main

import (
	"os"
	"time"

	"github.com/spf13/cobra"

	"notreasso/internal/metrics"
	"notreasso/internal/preview"
)

// previewCmd is the isolated rendering worker: the server starts the
// binary itself as `notreasso preview …` with time and memory limits, as
// for extraction (image decoders, LibreOffice and poppler meet hostile
// files).
func previewCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "preview",
		Short:              "Preview rendering worker (started by the server; not for direct use)",
		Hidden:             true,
		DisableFlagParsing: true,
		Run: func(cmd *cobra.Command, args []string) {
			os.Exit(preview.WorkerMain(args, os.Stdout, os.Stderr))
		},
	}
}

// previewSettle is the pause in a burst of uploads the preview worker waits
// for before it reads the journal (the search indexer waits as long).
const previewSettle = 300 * time.Millisecond

// openPreviews builds the background preview worker of the server.
func openPreviews(a *app) (*preview.Worker, error) {
	return preview.New(a.repo, preview.Options{
		Limits:  preview.Limits{Timeout: a.cfg.Preview.Timeout, MaxMemory: a.cfg.Preview.MaxMemory, MaxPixels: a.cfg.Preview.MaxPixels},
		Workers: a.cfg.Preview.Workers,
		Logger:  a.log,
		Settle:  previewSettle,
		Hooks: preview.Hooks{
			Queue:  func(n int64) { metrics.PreviewQueue.Set(float64(n)) },
			Failed: func(kind string) { metrics.PreviewFailures.WithLabelValues(kind).Inc() },
		},
	})
}
