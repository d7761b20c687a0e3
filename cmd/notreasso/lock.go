package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gofrs/flock"
	"github.com/spf13/cobra"

	"notreasso/internal/config"
)

// lockName is the lock file in the data directory. It is held by the
// server and by the commands that need it stopped (reindex, restore,
// storage migrate): two such processes on one data directory would both
// write the search index, whose files they name alike, and corrupt it.
// Other commands (user, grant, backup, check…) run next to the server.
const lockName = "notreasso.lock"

// lockData takes the data directory's lock, or says who holds it. The
// lock is an flock(2): the kernel releases it when the process ends, even
// on a crash, so a stale file never blocks a start.
func lockData(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	fl := flock.New(filepath.Join(dir, lockName))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock the data directory %s: %w", dir, err)
	}
	if !ok {
		return nil, fmt.Errorf("the data directory %s is in use by another notreasso process "+
			"(a running server, or a reindex, restore or storage migrate): stop it first", dir)
	}
	return func() { fl.Unlock() }, nil
}

// openAppExclusive is openApp for the server and the commands that need
// the data directory to themselves: it takes the lock first.
func openAppExclusive(ctx context.Context, cmd *cobra.Command) (*app, error) {
	cfg, err := config.Load(cmd.Flags(), os.Environ())
	if err != nil {
		return nil, err
	}
	unlock, err := lockData(cfg.Data)
	if err != nil {
		return nil, err
	}
	a, err := openAppConfig(ctx, cfg)
	if err != nil {
		unlock()
		return nil, err
	}
	a.unlock = unlock
	return a, nil
}
