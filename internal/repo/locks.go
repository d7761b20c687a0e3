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

// lockTTL is how long a maintenance lock survives its holder's last
// heartbeat: a crashed job blocks the next one for at most this long.
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
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now().UnixNano()
		var cur string
		var exp int64
		err := tx.QueryRowContext(ctx, `SELECT holder, expires_at FROM maintenance_locks WHERE name = ?`, blobLock).Scan(&cur, &exp)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case exp > now:
			return fmt.Errorf("%w: %s is running (lock held until %s)", ErrUnavailable, cur, meta.Time(exp).Format(time.RFC3339))
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO maintenance_locks (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`,
			blobLock, holder, now, now+int64(lockTTL))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("take the maintenance lock: %w", err)
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
					s.now().Add(lockTTL).UnixNano(), blobLock, holder)
				cancel()
				if err != nil {
					s.log.Warn("renew maintenance lock", "job", job, "err", err)
				}
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := s.db.W.ExecContext(ctx, `DELETE FROM maintenance_locks WHERE name = ? AND holder = ?`, blobLock, holder); err != nil {
			s.log.Warn("release maintenance lock", "job", job, "err", err)
		}
	}, nil
}
