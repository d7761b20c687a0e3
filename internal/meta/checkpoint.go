package meta

import (
	"context"
	"database/sql"
	"time"
)

// SQLite copies the write-ahead log back into the database file (a
// checkpoint, with its flushes) when the log passes a size, on the
// connection whose commit crossed it: every few dozen small uploads, one
// request waited for that copy. The writer's own checkpoints are moved
// to writerCheckpointPages, far out of the way, and a checkpointer copies
// what it can every checkpointEvery from a connection of its own
// (PASSIVE: it waits for no one, and neither readers nor the writer wait
// for it). The log then stays about a second of writes long; should the
// checkpointer fall behind (a large import), the writer checkpoints
// itself past writerCheckpointPages as before.

const (
	checkpointEvery       = time.Second
	writerCheckpointPages = 10000 // 40 MB of log with 4 KiB pages
)

// startCheckpoints runs the checkpointer on its own connection until Close.
func (db *DB) startCheckpoints(conn cachingConnector) {
	c := sql.OpenDB(conn)
	c.SetMaxOpenConns(1)
	db.ckpt = c
	db.ckptStop = make(chan struct{})
	db.ckptDone = make(chan struct{})
	go func() {
		defer close(db.ckptDone)
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-db.ckptStop:
				return
			case <-t.C:
			}
			// A failure (the database busy beyond the timeout) is left to
			// the next tick, or to the writer's own checkpoint.
			c.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
		}
	}()
}

// stopCheckpoints ends the checkpointer and closes its connection.
func (db *DB) stopCheckpoints() error {
	if db.ckpt == nil {
		return nil
	}
	close(db.ckptStop)
	<-db.ckptDone
	c := db.ckpt
	db.ckpt = nil
	return c.Close()
}
