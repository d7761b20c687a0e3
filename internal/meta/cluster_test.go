package meta_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"notreasso/internal/meta"
	"notreasso/internal/testutil/testdb"
)

func twoServers(t *testing.T) (*meta.DB, *meta.DB) {
	url := testdb.NewPostgres(t)
	var dbs [2]*meta.DB
	for i := range dbs {
		db, err := meta.Open(context.Background(), url, quiet)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dbs[0], dbs[1]
}

// A lease held by one server keeps the job from running on another; once
// it ran, the other skips it for the period; a server that dies with the
// lease frees it.
func TestLeaseOncePerCluster(t *testing.T) {
	a, b := twoServers(t)
	ctx := context.Background()
	now := time.Unix(1e9, 0)
	clock := func() time.Time { return now }
	var runs atomic.Int32
	inside := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		_, err := a.Lease(ctx, "gc", time.Hour, clock, func(context.Context) error {
			runs.Add(1)
			close(inside)
			<-release
			return nil
		})
		done <- err
	}()
	<-inside
	ran, err := b.Lease(ctx, "gc", time.Hour, clock, func(context.Context) error { runs.Add(1); return nil })
	if err != nil || ran {
		t.Fatalf("second server while the first holds the lease: ran %v, %v", ran, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if ran, err := b.Lease(ctx, "gc", time.Hour, clock, func(context.Context) error { runs.Add(1); return nil }); err != nil || ran {
		t.Errorf("second server right after the first ran it: ran %v, %v", ran, err)
	}
	now = now.Add(time.Hour)
	if ran, err := b.Lease(ctx, "gc", time.Hour, clock, func(context.Context) error { runs.Add(1); return nil }); err != nil || !ran {
		t.Errorf("second server a period later: ran %v, %v", ran, err)
	}
	if n := runs.Load(); n != 2 {
		t.Errorf("%d runs, want 2", n)
	}

	// The holder dies (its connection is cut, as when its process is
	// killed): the lease is free.
	inside2, stuck := make(chan struct{}), make(chan struct{})
	go a.Lease(ctx, "purge", 0, clock, func(context.Context) error { close(inside2); <-stuck; return nil })
	<-inside2
	if ran, _ := b.Lease(ctx, "purge", 0, clock, func(context.Context) error { return nil }); ran {
		t.Fatal("lease taken twice")
	}
	defer close(stuck)
	if _, err := b.W.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ran, err := b.Lease(ctx, "purge", 0, clock, func(context.Context) error { return nil })
		if ran {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lease of a closed server never freed: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A journal entry committed by one server wakes a listener on another.
func TestListenWakesOtherServers(t *testing.T) {
	a, b := twoServers(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	woke := make(chan struct{}, 16)
	go b.Listen(ctx, func() { woke <- struct{}{} })
	// The listener connects in the background: write until it hears.
	deadline := time.After(20 * time.Second)
	for {
		if _, err := a.W.ExecContext(ctx, `INSERT INTO journal (at, action) VALUES (?, 'test')`, time.Now().UnixNano()); err != nil {
			t.Fatal(err)
		}
		select {
		case <-woke:
			return
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatal("no notification reached the other server")
		}
	}
}
