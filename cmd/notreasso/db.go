package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"notreasso/internal/config"
	"notreasso/internal/meta"
	"notreasso/internal/repo"
)

func dbCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the metadata database (SQLite or PostgreSQL)",
	}
	cmd.AddCommand(dbMigrateCmd())
	return cmd
}

func dbMigrateCmd() *cobra.Command {
	var to, toFile string
	cmd := &cobra.Command{
		Use:   "migrate --to postgres://…",
		Short: "Copy the SQLite metadata into an empty PostgreSQL database; the server must be stopped",
		Long: `migrate copies every table of this installation's SQLite database
(DATA/meta.db: folders, files, versions, accounts, groups, grants, links,
tags, collections, the journal…) into a PostgreSQL database, keeping every
id, then compares each table's row count and checks the copy against the
blob store (sizes, the tree, the journal: notreasso check --quick).

The PostgreSQL database must exist and be empty (CREATE DATABASE notreasso
OWNER notreasso); its tables are created here. Nothing is changed in the
SQLite file. Stop the server first. If the copy fails, drop and create the
database again and run the command again.

  notreasso db migrate --config /etc/notreasso.yaml --to-file /run/secrets/db-url

Then set database.url (or database.url_file) and start the server: see
docs/scaling.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			if toFile != "" {
				b, err := os.ReadFile(toFile)
				if err != nil {
					return fmt.Errorf("--to-file: %w", err)
				}
				to = strings.TrimSpace(string(b))
			}
			if !meta.IsPostgres(to) {
				return fmt.Errorf("--to must be a postgres:// URL (or --to-file a file holding one)")
			}
			cfg, err := config.Load(cmd.Flags(), os.Environ())
			if err != nil {
				return err
			}
			if src, err := cfg.DatabaseDSN(); err != nil {
				return err
			} else if meta.IsPostgres(src) {
				return fmt.Errorf("this installation already uses PostgreSQL (database.url): nothing to migrate")
			}
			a, err := openAppConfig(ctx, cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			dst, err := meta.Open(ctx, to, a.log)
			if err != nil {
				return err
			}
			defer dst.Close()
			start := time.Now()
			fmt.Fprintf(out, "Copying %s to %s.\n", a.db.Name(), dst.Name())
			rep, err := a.db.CopyTo(ctx, dst, func(table string, rows int64) {
				fmt.Fprintf(out, "  %-22s %d rows\n", table, rows)
			})
			if err != nil {
				return err
			}
			var total int64
			for _, t := range rep.Tables {
				total += t.Rows
			}
			fmt.Fprintf(out, "%d rows in %d tables copied, every count verified, in %s.\n", total, len(rep.Tables), time.Since(start).Round(time.Millisecond))
			r, err := repo.New(dst, a.blobs, repo.Options{Logger: a.log})
			if err != nil {
				return err
			}
			check, err := r.Maintenance.Check(ctx, repo.CheckOptions{Quick: true})
			if err != nil {
				return fmt.Errorf("check the copy: %w", err)
			}
			for _, f := range check.Findings {
				fmt.Fprintf(out, "%-5s %s: %s: %s\n", f.Severity, f.Kind, printable(f.Subject), f.Detail)
			}
			if n := check.Errors(); n > 0 {
				return exitError{1, fmt.Sprintf("the copy has %d inconsistencies (see above)", n)}
			}
			fmt.Fprintf(out, "Checked: the copy is consistent with the blob store.\nNext: set database.url (or %s) to this database and start the server.\n", config.EnvName("database.url"))
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the PostgreSQL database: postgres://USER:PASSWORD@HOST:5432/NAME")
	cmd.Flags().StringVar(&toFile, "to-file", "", "a file holding that URL (keeps the password out of the command line)")
	return cmd
}
