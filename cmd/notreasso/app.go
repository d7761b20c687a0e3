package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"notreasso/internal/auth"
	"notreasso/internal/clock"
	"notreasso/internal/config"
	"notreasso/internal/meta"
	"notreasso/internal/metrics"
	"notreasso/internal/repo"
	"notreasso/internal/web"
	"notreasso/storage"
	blobfs "notreasso/storage/fs"
	"notreasso/storage/s3"
)

// app is the set of services every command works with.
type app struct {
	cfg   config.Config
	log   *slog.Logger
	db    *meta.DB
	blobs storage.BlobStore
	repo  *repo.Service
	auth  *auth.Service

	unlock func() // releases the data directory's lock (openAppExclusive)
}

func (a *app) Close() {
	// The S3 store lets its background copies of streamed uploads end.
	if c, ok := a.blobs.(storage.Closer); ok {
		c.Close()
	}
	if a.db != nil {
		a.db.Close()
	}
	if a.unlock != nil {
		a.unlock()
	}
}

func newLogger(c config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(c.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if c.Log.Format == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(web.LogHandler(h)) // adds request_id to lines logged for a request
}

// openApp loads the configuration and opens the database and blob store.
func openApp(ctx context.Context, cmd *cobra.Command) (*app, error) {
	cfg, err := config.Load(cmd.Flags(), os.Environ())
	if err != nil {
		return nil, err
	}
	return openAppConfig(ctx, cfg)
}

// withApp runs a command with the services open, and closes them after.
func withApp(run func(cmd *cobra.Command, args []string, a *app) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a, err := openApp(cmd.Context(), cmd)
		if err != nil {
			return err
		}
		defer a.Close()
		return run(cmd, args, a)
	}
}

// openAppConfig opens the services of an already loaded configuration.
func openAppConfig(ctx context.Context, cfg config.Config) (*app, error) {
	var err error
	a := &app{cfg: cfg, log: newLogger(cfg, os.Stderr)}
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	var dbOpts []meta.Option
	if cfg.Durability == "power" {
		dbOpts = append(dbOpts, meta.SyncCommits())
	}
	dsn, err := cfg.DatabaseDSN()
	if err != nil {
		return nil, err
	}
	if a.db, err = meta.Open(ctx, dsn, a.log, dbOpts...); err != nil {
		return nil, err
	}
	a.log.Debug("metadata database open", "dialect", a.db.Dialect(), "database", a.db.Name())
	if a.blobs, err = openBlobStore(ctx, cfg, a.log); err != nil {
		a.Close()
		return nil, err
	}
	// One clock for the repository and the accounts: the rights a term of
	// office gives end when the repository's time says so.
	now := clock.FromEnv(a.log)
	opts := repo.Options{MaxUpload: cfg.MaxUpload, Logger: a.log, Now: now}
	if err := retentionOptions(cfg, &opts); err != nil {
		a.Close()
		return nil, err
	}
	if cfg.Storage.Backend != "fs" {
		opts.SpoolDir = filepath.Join(cfg.Data, "spool")
	}
	if a.repo, err = repo.New(a.db, a.blobs, opts); err != nil {
		a.Close()
		return nil, err
	}
	a.auth = auth.New(a.db, a.log)
	a.auth.SetClock(now)
	a.auth.SetAppPasswordsOnly(cfg.Auth.AppPasswordsOnly)
	return a, nil
}

// openBlobStore opens the configured backend; its failures count in the
// notreasso_storage_errors_total metric.
func openBlobStore(ctx context.Context, cfg config.Config, log *slog.Logger) (storage.BlobStore, error) {
	switch cfg.Storage.Backend {
	case "fs":
		var opts []blobfs.Option
		if cfg.Durability == "power" {
			opts = append(opts, blobfs.SyncWrites())
		}
		b, err := blobfs.New(filepath.Join(cfg.Data, "blobs"), opts...)
		if err != nil {
			return nil, err
		}
		return metrics.ObserveStore(b, "fs"), nil
	case "s3":
		c := cfg.Storage.S3
		b, err := s3.New(ctx, s3.Config{Endpoint: c.Endpoint, Region: c.Region, Bucket: c.Bucket, AccessKey: c.AccessKey,
			SecretKey: c.SecretKey, SecretKeyFile: c.SecretKeyFile, UseTLS: c.TLS, PathStyle: c.PathStyle, Prefix: c.Prefix,
			PartSize: uint64(c.PartSize), CreateBucket: c.CreateBucket, UnsignedContent: !c.SignContent}, log)
		if err != nil {
			return nil, err
		}
		return metrics.ObserveStore(b, "s3"), nil
	}
	return nil, fmt.Errorf("storage backend %q is not available in this build", cfg.Storage.Backend)
}

// readPassword reads one line from r (for --password-stdin).
func readPassword(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	pw := strings.TrimRight(string(b), "\r\n")
	if pw == "" {
		return "", fmt.Errorf("read password: standard input is empty")
	}
	return pw, nil
}
