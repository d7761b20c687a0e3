package meta

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestCheckpointsApart: the write-ahead log is copied into the database
// file by the checkpointer, not by the commit that makes it long: after a
// few hundred small transactions (far below the writer's own threshold)
// the database file takes them within seconds, with no commit doing it.
func TestCheckpointsApart(t *testing.T) {
	ctx := context.Background()
	db, path := testSQLite(t)
	if db.ckpt == nil {
		t.Fatal("no checkpointer on SQLite")
	}
	if _, err := db.W.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		t.Fatal(err)
	}
	// Settle what the migrations wrote, then measure from there.
	time.Sleep(2 * checkpointEvery)
	size := func() int64 { st, _ := os.Stat(path); return st.Size() }
	before := size()
	for i := range 300 {
		if _, err := db.W.ExecContext(ctx, `INSERT INTO t (v) VALUES (?)`, string(make([]byte, 1000+i))); err != nil {
			t.Fatal(err)
		}
	}
	if size() != before {
		t.Fatalf("a commit checkpointed: the database file grew from %d to %d bytes at once", before, size())
	}
	deadline := time.Now().Add(5 * checkpointEvery)
	for size() == before && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if size() == before {
		t.Errorf("the database file still has %d bytes %v after 300 commits: nothing checkpointed", before, 5*checkpointEvery)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
