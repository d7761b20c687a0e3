package main

import (
	"context"
	"fmt"
	"io"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"notreasso/indexer"
	"notreasso/indexer/extract"
	"notreasso/internal/config"
	"notreasso/internal/metrics"
)

func openIndexer(ctx context.Context, a *app) (*indexer.Indexer, error) {
	return indexer.Open(ctx, a.repo, indexer.Options{
		Dir:       a.cfg.Data,
		Logger:    a.log,
		Limits:    extract.Limits{Timeout: a.cfg.Extract.Timeout, MaxMemory: a.cfg.Extract.MaxMemory, OCRLanguages: a.cfg.Extract.OCRLanguages},
		BuildHeap: a.cfg.Index.BuildHeap,
		Hooks: indexer.Hooks{
			ExtractionFailed: func(format string) { metrics.ExtractionFailures.WithLabelValues(format).Inc() },
			Extracted:        func(format string) { metrics.Extractions.WithLabelValues(format).Inc() },
			Lag:              func(n int64) { metrics.IndexLag.Set(float64(n)) },
		},
	})
}

// After a restore the index describes other data: rebuild it from the
// restored metadata and blobs before the server starts again.
func init() {
	afterRestore = append(afterRestore, func(ctx context.Context, cfg config.Config, out io.Writer) error {
		a, err := openAppConfig(ctx, cfg)
		if err != nil {
			return err
		}
		defer a.Close()
		fmt.Fprintln(out, "Rebuilding the search index…")
		return rebuildIndex(ctx, a, out)
	})
}

// rebuildIndex rebuilds the search index with a progress bar on out.
func rebuildIndex(ctx context.Context, a *app, out io.Writer) error {
	idx, err := openIndexer(ctx, a)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return fmt.Errorf("%w (is the server running? stop it first)", err)
	}
	defer idx.Close()
	total, err := idx.FileCount(ctx)
	if err != nil {
		return err
	}
	bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(out),
		progressbar.OptionSetDescription("indexing"), progressbar.OptionShowCount(), progressbar.OptionThrottle(200e6))
	if err := idx.Rebuild(ctx, func(done int) { bar.Set(done) }); err != nil {
		return err
	}
	bar.Finish()
	fmt.Fprintf(out, "\nindex rebuilt: %d files visited\n", total)
	return nil
}

func reindexCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "reindex",
		Short: "Rebuild the search index from metadata and blobs (stop the server first)",
		Long: "Rebuilds the search index into a new generation and swaps it in atomically:\n" +
			"if interrupted, the previous index stays as it was. Extracted texts are reused.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := openAppExclusive(ctx, cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			return rebuildIndex(ctx, a, cmd.ErrOrStderr())
		},
	}
}
