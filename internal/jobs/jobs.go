// Package jobs runs the server's background work — session sweeps, upload
// sweeps, scheduled purges and collections, the search indexer — under one
// lifecycle: every job is named, its runs are measured, and Stop returns
// only when every job has returned, so nothing touches the database or the
// blob store after the server closes them.
//
// A job is either periodic (Every > 0: Run is called again Every after the
// previous run began, never twice at once) or long-running (Every == 0: Run
// is called once and owns its loop until its context ends).
package jobs

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"notreasso/internal/metrics"
)

// Job is one piece of background work.
type Job struct {
	// Name identifies the job in logs and metrics ("sessions.sweep").
	Name string
	// Every is the period of a periodic job; 0 makes a long-running job.
	Every time.Duration
	// First is how long after Start the first run begins (0: at once).
	// Maintenance waits a little so a restart loop is not a purge loop.
	First time.Duration
	// Run does the work. It must return soon after ctx ends; an error is
	// logged and counted, and a periodic job runs again at its next time.
	Run func(ctx context.Context) error
}

// Clock is the time source; tests pass a fake to control schedules.
type Clock interface {
	Now() time.Time
	// After is time.After for this clock.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Runner starts jobs and joins them.
type Runner struct {
	log    *slog.Logger
	clock  Clock
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	names   map[string]bool
	stopped bool
}

// New returns a runner whose jobs live until Stop (or until parent ends).
// A nil clock is the wall clock.
func New(parent context.Context, log *slog.Logger, clock Clock) *Runner {
	if clock == nil {
		clock = realClock{}
	}
	ctx, cancel := context.WithCancel(parent)
	return &Runner{log: log, clock: clock, ctx: ctx, cancel: cancel, names: map[string]bool{}}
}

// ErrStopped is returned by Start once the runner has been stopped.
var ErrStopped = errors.New("jobs: runner stopped")

// Start launches jobs. Names must be unique within the runner.
func (r *Runner) Start(jobs ...Job) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return ErrStopped
	}
	for _, j := range jobs {
		if j.Name == "" || j.Run == nil {
			return errors.New("jobs: a job needs a name and a Run function")
		}
		if r.names[j.Name] {
			return errors.New("jobs: two jobs named " + j.Name)
		}
		r.names[j.Name] = true
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.loop(j)
		}()
	}
	return nil
}

// Stop cancels every job and waits until all have returned.
func (r *Runner) Stop() {
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return
	}
	r.stopped = true
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
	r.log.Info("background jobs stopped", "jobs", len(r.names))
}

func (r *Runner) loop(j Job) {
	if j.First > 0 && !r.wait(j.First) {
		return
	}
	for {
		start := r.clock.Now()
		r.runOnce(j)
		if j.Every <= 0 || r.ctx.Err() != nil {
			return
		}
		if !r.wait(j.Every - r.clock.Now().Sub(start)) {
			return
		}
	}
}

// wait sleeps d on the runner's clock; false when the runner stopped.
func (r *Runner) wait(d time.Duration) bool {
	if d <= 0 {
		return r.ctx.Err() == nil
	}
	select {
	case <-r.ctx.Done():
		return false
	case <-r.clock.After(d):
		return true
	}
}

func (r *Runner) runOnce(j Job) {
	start := r.clock.Now()
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = panicError{p}
			}
		}()
		return j.Run(r.ctx)
	}()
	took := r.clock.Now().Sub(start)
	metrics.JobDuration.With(prometheus.Labels{"job": j.Name}).Observe(took.Seconds())
	if err != nil && r.ctx.Err() == nil {
		metrics.JobFailures.With(prometheus.Labels{"job": j.Name}).Inc()
		r.log.Error("background job failed", "job", j.Name, "err", err, "took", took)
		return
	}
	if err == nil {
		metrics.JobLastSuccess.With(prometheus.Labels{"job": j.Name}).Set(float64(r.clock.Now().Unix()))
	}
}

type panicError struct{ v any }

func (p panicError) Error() string { return "panic: " + slog.AnyValue(p.v).String() }
