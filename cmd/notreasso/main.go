// Command notreasso is the single Notre Asso binary: the server and its
// administration commands. It parses flags, builds the services and runs;
// the work lives in internal/… and storage/….
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first Ctrl-C or SIGTERM cancels ctx: long commands stop at the
	// next file and leave things resumable. A second one kills at once.
	go func() {
		<-ctx.Done()
		stop()
	}()
	root := &cobra.Command{
		Use:           "notreasso",
		Short:         "Notre Asso: the shared document memory of an association",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("config", "", "configuration file (YAML); also NOTREASSO_CONFIG")
	root.PersistentFlags().String("data", "./data", "data directory (database, blobs, index); also NOTREASSO_DATA")
	root.AddCommand(serveCmd(), userCmd(), groupCmd(), roleCmd(), termCmd(), grantCmd(), versionCmd(), healthcheckCmd(), extractCmd(), previewCmd(), reindexCmd(),
		purgeCmd(), gcCmd(), importCmd(), exportCmd(), checkCmd(), backupCmd(), restoreCmd(), retentionCmd(), spaceCmd(), storageCmd(), mailCmd(), dbCmd(),
		intakeCmd())
	if err := root.ExecuteContext(ctx); err != nil {
		if ctx.Err() != nil {
			// Say so plainly: the error is then only how the work was cut.
			fmt.Fprintln(os.Stderr, "notreasso: stopped (Ctrl-C or SIGTERM):", err)
		} else {
			fmt.Fprintln(os.Stderr, "notreasso:", err)
		}
		var ee exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), "notreasso", version)
			return nil
		},
	}
}
