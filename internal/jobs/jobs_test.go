package jobs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"notreasso/internal/metrics"
	"notreasso/internal/testutil/fakeclock"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// waitFor polls cond; the deadline only guards against a hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPeriodicJobFollowsClock(t *testing.T) {
	clock := fakeclock.New(time.Unix(1_700_000_000, 0))
	r := New(context.Background(), quiet(), clock)
	var runs atomic.Int32
	if err := r.Start(Job{Name: "t.periodic", Every: time.Hour, First: time.Minute, Run: func(context.Context) error {
		runs.Add(1)
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first wait", func() bool { return clock.Pending() == 1 })
	if runs.Load() != 0 {
		t.Fatal("ran before First elapsed")
	}
	clock.Advance(time.Minute)
	for i := int32(1); i <= 3; i++ {
		waitFor(t, "run", func() bool { return runs.Load() == i && clock.Pending() == 1 })
		clock.Advance(time.Hour)
	}
	waitFor(t, "fourth run", func() bool { return runs.Load() == 4 })
	r.Stop()
	if got := testutil.ToFloat64(metrics.JobLastSuccess.WithLabelValues("t.periodic")); got != float64(clock.Now().Unix()) {
		t.Errorf("last success = %v, want %v", got, clock.Now().Unix())
	}
}

func TestStopJoinsEveryJob(t *testing.T) {
	r := New(context.Background(), quiet(), nil)
	var running, returned atomic.Int32
	started := make(chan struct{}, 2)
	long := func(ctx context.Context) error {
		running.Add(1)
		started <- struct{}{}
		<-ctx.Done()
		time.Sleep(20 * time.Millisecond) // a job finishing its last write
		returned.Add(1)
		return ctx.Err()
	}
	if err := r.Start(Job{Name: "t.long1", Run: long}, Job{Name: "t.long2", Every: time.Hour, Run: long}); err != nil {
		t.Fatal(err)
	}
	<-started
	<-started
	r.Stop()
	if returned.Load() != 2 {
		t.Fatalf("Stop returned with %d of 2 jobs still running", 2-returned.Load())
	}
	if err := r.Start(Job{Name: "t.late", Run: long}); !errors.Is(err, ErrStopped) {
		t.Fatalf("Start after Stop: %v, want ErrStopped", err)
	}
	if got := testutil.ToFloat64(metrics.JobFailures.WithLabelValues("t.long1")); got != 0 {
		t.Errorf("a job ended by Stop counted as a failure: %v", got)
	}
}

func TestFailuresAndPanicsAreCountedAndRetried(t *testing.T) {
	clock := fakeclock.New(time.Unix(1_700_000_000, 0))
	r := New(context.Background(), quiet(), clock)
	var runs atomic.Int32
	if err := r.Start(Job{Name: "t.flaky", Every: time.Minute, Run: func(context.Context) error {
		if runs.Add(1) == 1 {
			panic("boom")
		}
		return errors.New("still failing")
	}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first run", func() bool { return runs.Load() == 1 && clock.Pending() == 1 })
	clock.Advance(time.Minute)
	waitFor(t, "second run", func() bool { return runs.Load() == 2 && clock.Pending() == 1 })
	r.Stop()
	if got := testutil.ToFloat64(metrics.JobFailures.WithLabelValues("t.flaky")); got != 2 {
		t.Errorf("failures = %v, want 2", got)
	}
}

func TestDuplicateNamesRefused(t *testing.T) {
	r := New(context.Background(), quiet(), nil)
	defer r.Stop()
	run := func(ctx context.Context) error { <-ctx.Done(); return nil }
	if err := r.Start(Job{Name: "t.dup", Run: run}); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(Job{Name: "t.dup", Run: run}); err == nil {
		t.Fatal("a second job with the same name was accepted")
	}
}
