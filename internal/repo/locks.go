package repo

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"notreasso/internal/meta"
)

// lockTTL is how long a named lock survives its holder's last heartbeat:
// a crashed process blocks the next holder for at most this long.
const lockTTL = 2 * time.Minute

// blobLock is the lock for jobs that delete blobs or need them to stay put:
// the garbage collector, backups and checks.
const blobLock = "blobs"

// MaintenanceLock takes the blob-maintenance lock for job (e.g. "backup")
// across processes, or returns ErrUnavailable naming who holds it. The lock
// is renewed in the background until release is called.
func (s *Maintenance) MaintenanceLock(ctx context.Context, job string) (release func(), err error) {
	token := make([]byte, 6)
	rand.Read(token)
	host, _ := os.Hostname()
	holder := fmt.Sprintf("%s (pid %d on %s, %s)", job, os.Getpid(), host, hex.EncodeToString(token))
	release, cur, until, err := s.namedLock(ctx, blobLock, holder)
	if err != nil {
		return nil, fmt.Errorf("take the maintenance lock: %w", err)
	}
	if release == nil {
		return nil, fmt.Errorf("take the maintenance lock: %w: %s is running (lock held until %s)", ErrUnavailable, cur, until.Format(time.RFC3339))
	}
	return release, nil
}

// namedLock takes the lock name (a row of maintenance_locks, shared by
// every server on the database) for holder, unless another holder has it
// and has renewed it within lockTTL: then release is nil and cur and until
// say who has it until when. A taken lock is renewed in the background
// until release is called.
//
// The lock is one conditional upsert: two servers taking it at once both
// reach the row, and the database lets only one of them change it (on
// PostgreSQL the second waits for the first's row and then finds it
// held), where reading the row first and writing it after let both
// believe they had it.
func (s *core) namedLock(ctx context.Context, name, holder string) (release func(), cur string, until time.Time, err error) {
	now := s.now().UnixNano()
	res, err := s.db.W.ExecContext(ctx, `INSERT INTO maintenance_locks (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
		WHERE maintenance_locks.expires_at <= ?`,
		name, holder, now, now+int64(lockTTL), now)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		var exp int64
		err := s.db.R.QueryRowContext(ctx, `SELECT holder, expires_at FROM maintenance_locks WHERE name = ?`, name).Scan(&cur, &exp)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, "", time.Time{}, err
		}
		return nil, cur, meta.Time(exp), nil
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(lockTTL / 4)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				hb, cancel := context.WithTimeout(context.Background(), lockTTL/4)
				_, err := s.db.W.ExecContext(hb, `UPDATE maintenance_locks SET expires_at = ? WHERE name = ? AND holder = ?`,
					s.now().Add(lockTTL).UnixNano(), name, holder)
				cancel()
				if err != nil {
					s.log.Warn("renew lock", "lock", name, "holder", holder, "err", err)
				}
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := s.db.W.ExecContext(ctx, `DELETE FROM maintenance_locks WHERE name = ? AND holder = ?`, name, holder); err != nil {
			s.log.Warn("release lock", "lock", name, "holder", holder, "err", err)
		}
	}, "", time.Time{}, nil
}
