package backup

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"notreasso/internal/meta"
	"notreasso/internal/repo"
	"notreasso/storage"
)

// VerifyOptions qualifies a verification.
type VerifyOptions struct {
	Snapshot string            // manifest name; the newest if empty
	TempDir  string            // where the snapshot is restored (the data disk); os.TempDir() if empty
	Live     storage.BlobStore // the live store, holding the blobs of a Bucket target
	Sample   int               // contents whose SHA-256 is verified, picked at random (the others: presence and size)
	Logger   *slog.Logger
}

// VerifyReport says what a verification found.
type VerifyReport struct {
	Name     string
	Manifest Manifest
	Check    repo.CheckReport
	// Bad lists the contents missing or damaged in the target: the next
	// backup copies them again.
	Bad []string
}

// Verify restores a snapshot of t (the newest by default) into a temporary
// directory and runs on it the check of `notreasso check`: the database
// (SQLite's integrity check, then the tree, versions and journal), every
// content's presence and size in the target, and the SHA-256 of a sample.
// A snapshot that cannot be restored, or any inconsistency, is an error.
func Verify(ctx context.Context, t Target, o VerifyOptions) (VerifyReport, error) {
	var rep VerifyReport
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if rep.Name = o.Snapshot; rep.Name == "" {
		all, err := Snapshots(ctx, t)
		if err != nil {
			return rep, fmt.Errorf("verify %s: %w", t, err)
		}
		if len(all) == 0 {
			return rep, fmt.Errorf("verify %s: no snapshot yet", t)
		}
		rep.Name = all[len(all)-1]
	}
	if err := readManifest(ctx, t, rep.Name, &rep.Manifest); err != nil {
		return rep, fmt.Errorf("verify %s: %w", t, err)
	}
	tmp, err := os.MkdirTemp(o.TempDir, "verify-")
	if err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	defer os.RemoveAll(tmp)
	dbFile := filepath.Join(tmp, "meta.db")
	if err := fetchSnapshot(ctx, t, rep.Manifest, dbFile); err != nil {
		return rep, fmt.Errorf("verify %s: %w", t, err)
	}
	if _, err := prepareDatabase(ctx, dbFile); err != nil {
		return rep, fmt.Errorf("verify %s: %w", t, err)
	}
	db, err := meta.Open(ctx, dbFile, o.Logger)
	if err != nil {
		return rep, fmt.Errorf("verify %s: open the restored database: %w", t, err)
	}
	defer db.Close()
	blobs := t.Blobs()
	if blobs == nil {
		blobs = o.Live
	}
	r, err := repo.New(db, blobs, repo.Options{SpoolDir: filepath.Join(tmp, "spool"), Logger: o.Logger})
	if err != nil {
		return rep, fmt.Errorf("verify %s: %w", t, err)
	}
	if rep.Check, err = r.Maintenance.Check(ctx, repo.CheckOptions{Quick: true, Sample: o.Sample}); err != nil {
		return rep, fmt.Errorf("verify %s: %w", t, err)
	}
	var first string
	for _, f := range rep.Check.Findings {
		if f.Severity != repo.CheckError {
			continue
		}
		if first == "" {
			first = f.Kind + ": " + f.Detail
		}
		if key, ok := strings.CutPrefix(f.Subject, "content "); ok && strings.HasPrefix(f.Kind, "blob-") {
			rep.Bad = append(rep.Bad, key)
		}
	}
	if n := rep.Check.Errors(); n > 0 {
		return rep, fmt.Errorf("verify %s: snapshot %s has %d inconsistencies (first: %s)", t, rep.Name, n, first)
	}
	return rep, nil
}
