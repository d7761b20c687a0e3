package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"notreasso/internal/config"
	"notreasso/internal/transfer"
)

func storageCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "storage",
		Short: "Manage where document content is stored (local disk or S3)",
	}
	cmd.AddCommand(storageMigrateCmd())
	return cmd
}

func storageMigrateCmd() *cobra.Command {
	var to string
	var workers int
	var noSwitch bool
	cmd := &cobra.Command{
		Use:   "migrate --to s3|fs",
		Short: "Copy every stored content between local disk and the S3 bucket, then switch to it; the server must be stopped",
		Long: `migrate copies every blob (stored content) from the local disk (DATA/blobs) to
the S3 bucket configured in storage.s3.* (--to s3), or from the bucket to the
local disk (--to fs). Each content is checked against its SHA-256 as it is
copied; content already at the destination is skipped, so an interrupted
migration is resumed by running the same command again. Nothing is deleted
from the source.

When every content is at the destination, the configuration is switched:
with a configuration file (--config or NOTREASSO_CONFIG) its storage.backend
is rewritten, otherwise the command says what to set. Stop the server first.

  notreasso storage migrate --to s3 --config /etc/notreasso.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if to != "s3" && to != "fs" {
				return fmt.Errorf("--to must be s3 or fs")
			}
			cfg, err := config.Load(cmd.Flags(), os.Environ())
			if err != nil {
				return err
			}
			if to == "s3" && (cfg.Storage.S3.Endpoint == "" || cfg.Storage.S3.Bucket == "") {
				return fmt.Errorf("configure the bucket first: storage.s3.endpoint and storage.s3.bucket are empty (see docs/s3.md)")
			}
			if cfg.Storage.S3.Endpoint == "" {
				return fmt.Errorf("storage.s3.endpoint is empty: there is no bucket to migrate from")
			}
			// The server writes new content to its backend while running: a
			// copy made meanwhile would miss some.
			if u := "http://" + localAddr(cfg.Addr) + "/healthz"; answers(u) {
				return fmt.Errorf("the server is running (%s answers): stop it before migrating", u)
			}
			a, err := openAppExclusive(ctx, cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			// Keep the garbage collector, backups and checks of another
			// process (a server on another address) out meanwhile.
			release, err := a.repo.Maintenance.MaintenanceLock(ctx, "storage migrate")
			if err != nil {
				return fmt.Errorf("%w (is the server running? stop it first)", err)
			}
			defer release()

			fsCfg, s3Cfg := cfg, cfg
			fsCfg.Storage.Backend, s3Cfg.Storage.Backend = "fs", "s3"
			local, err := openBlobStore(ctx, fsCfg, a.log)
			if err != nil {
				return err
			}
			bucket, err := openBlobStore(ctx, s3Cfg, a.log)
			if err != nil {
				return err
			}
			src, dst := local, bucket
			from, where := filepath.Join(cfg.Data, "blobs"), "bucket "+cfg.Storage.S3.Bucket+" at "+cfg.Storage.S3.Endpoint
			if to == "fs" {
				src, dst = bucket, local
				from, where = where, from
			}
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			fmt.Fprintf(out, "Copying from %s to %s.\n", from, where)
			bar := progressbar.NewOptions64(-1, progressbar.OptionSetWriter(errOut), progressbar.OptionShowBytes(true),
				progressbar.OptionSetDescription("migrating"), progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionFullWidth(), progressbar.OptionOnCompletion(func() { fmt.Fprintln(errOut) }))
			start := time.Now()
			rep, err := transfer.Migrate(ctx, src, dst, transfer.MigrateOptions{
				Workers:    workers,
				Logger:     a.log,
				OnList:     func(_ int, bytes int64) { bar.ChangeMax64(bytes) },
				OnProgress: func(n int64) { bar.Add64(n) },
			})
			if err == nil {
				bar.Finish()
			} else {
				fmt.Fprintln(errOut)
			}
			fmt.Fprintf(out, "%d contents (%s) in the source: %d copied and verified (%s), %d already there",
				rep.Blobs, formatBytes(rep.Bytes), rep.Copied, formatBytes(rep.CopiedBytes), rep.Present)
			if rep.Replaced > 0 {
				fmt.Fprintf(out, " (%d damaged copies at the destination replaced)", rep.Replaced)
			}
			fmt.Fprintf(out, ", in %s.\n", time.Since(start).Round(time.Second))
			for _, k := range rep.Corrupt {
				fmt.Fprintf(out, "  CORRUPT %s: the content does not match its SHA-256; not copied\n", k)
			}
			keys := make([]string, 0, len(rep.Failed))
			for k := range rep.Failed {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(out, "  FAILED  %s: %s\n", k, rep.Failed[k])
			}
			if err != nil {
				return fmt.Errorf("%w; nothing was switched: run the same command again to resume", err)
			}
			if !rep.Complete() {
				msg := fmt.Sprintf("%d contents could not be copied: the configuration was not switched", len(rep.Corrupt)+len(rep.Failed))
				if len(rep.Corrupt) > 0 {
					msg += "; repair corrupt content from a backup (notreasso check --repair --blobs-from DIR) and migrate again"
				}
				return exitError{code: 2, msg: msg}
			}
			return switchBackend(cmd, out, to, noSwitch)
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "destination: s3 (the configured bucket) or fs (DATA/blobs)")
	cmd.Flags().IntVar(&workers, "workers", 4, "contents copied at once")
	cmd.Flags().BoolVar(&noSwitch, "no-switch", false, "copy only; leave the configuration as it is")
	cmd.MarkFlagRequired("to")
	return cmd
}

// answers reports whether a server answers GET u with 200.
func answers(u string) bool {
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(u)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// switchBackend makes the configuration use backend: the file's
// storage.backend if there is a file, else instructions.
func switchBackend(cmd *cobra.Command, out io.Writer, backend string, noSwitch bool) error {
	env := config.EnvName("storage.backend")
	path := os.Getenv("NOTREASSO_CONFIG")
	if f := cmd.Flags().Lookup("config"); f != nil && f.Changed {
		path = f.Value.String()
	}
	switch {
	case noSwitch:
		fmt.Fprintf(out, "All content is at the destination. To use it, set storage.backend: %s (or %s=%s) and restart the server.\n", backend, env, backend)
		return nil
	case path != "":
		if err := config.SetFileKey(path, "storage.backend", backend); err != nil {
			return err
		}
		fmt.Fprintf(out, "Configuration switched: storage.backend is now %s in %s.\n", backend, path)
		if v, ok := os.LookupEnv(env); ok && v != backend {
			fmt.Fprintf(out, "But %s=%s is set in the environment and overrides the file: set it to %s or remove it.\n", env, v, backend)
		}
	default:
		fmt.Fprintf(out, "All content is at the destination. No configuration file was given, so set\n\n  %s=%s\n\nin the server's environment (or storage.backend: %s in its configuration file), then start the server.\n", env, backend, backend)
		return nil
	}
	if backend == "s3" {
		fmt.Fprintln(out, "The local copies in DATA/blobs are kept; delete them once the server runs well on S3.")
	}
	fmt.Fprintln(out, "Start the server again.")
	return nil
}
