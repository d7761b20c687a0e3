// Package intake takes documents that arrive by e-mail into the tree: one
// worker per IMAP account an administrator set up, each a loop under the
// server's job runner (the "intake" job), waiting with IDLE when the
// server offers it and polling otherwise. Every import goes through
// internal/repo as the intake identity, with a ledger that makes each
// message imported exactly once (docs/intake.md explains why).
package intake

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/jobs"
	"notreasso/internal/metrics"
	"notreasso/internal/repo"
)

// sys is the identity that reads the accounts and the ledger.
var sys = repo.IntakePrincipal("")

// Options configures the intake.
type Options struct {
	Repo   *repo.Service
	Logger *slog.Logger
	// Clock paces the waits (poll, retry); the wall clock if nil.
	Clock jobs.Clock
	// Poll is how often a mailbox without IDLE is read, and how often an
	// IDLE wait is renewed; Retry the first wait after a failure, doubling
	// up to Poll.
	Poll, Retry time.Duration
	// TempDir holds messages while they are imported (os.TempDir if "").
	TempDir string
	// TLSConfig, if set, is the base of every TLS connection (tests trust
	// their own certificate authority with it).
	TLSConfig *tls.Config
	// Reconcile is how often the account list is read again besides Wake
	// (a minute if 0).
	Reconcile time.Duration

	// crashAt, in tests, is called after each file is created ("file")
	// and after a message is recorded, before it is marked ("record"); an
	// error stops the round there, as a crash would.
	crashAt func(stage string) error
}

// Intake runs the workers.
type Intake struct {
	opts  Options
	repo  *repo.Service
	log   *slog.Logger
	clock jobs.Clock
	wake  chan int64

	mu      sync.Mutex
	workers map[int64]*worker
}

type worker struct {
	cancel      context.CancelFunc
	done        chan struct{}
	wake        chan struct{}
	fingerprint string
}

type wallClock struct{}

func (wallClock) Now() time.Time                         { return time.Now() }
func (wallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// New returns the intake; Job runs it.
func New(o Options) *Intake {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = wallClock{}
	}
	if o.Poll <= 0 {
		o.Poll = 5 * time.Minute
	}
	if o.Retry <= 0 {
		o.Retry = 30 * time.Second
	}
	if o.Reconcile <= 0 {
		o.Reconcile = time.Minute
	}
	if o.TempDir == "" {
		o.TempDir = os.TempDir()
	}
	return &Intake{opts: o, repo: o.Repo, log: o.Logger.With("job", "intake"), clock: o.Clock, wake: make(chan int64, 16), workers: map[int64]*worker{}}
}

// Job is the intake as a long-running job of the server's runner: it
// returns, every worker joined, when the runner stops.
func (in *Intake) Job() jobs.Job { return jobs.Job{Name: "intake", Run: in.Run} }

// Wake reads the account list again at once (an account was added,
// changed or removed) and makes the account's worker (every worker for
// 0) look for new mail now.
func (in *Intake) Wake(account int64) {
	select {
	case in.wake <- account:
	default:
	}
}

// Run supervises one worker per enabled account until ctx ends.
func (in *Intake) Run(ctx context.Context) error {
	ctx = repo.WithSystemVia(ctx, "intake")
	defer in.stopAll(nil)
	for {
		in.reconcile(ctx)
		select {
		case <-ctx.Done():
			return nil
		case id := <-in.wake:
			in.reconcile(ctx)
			in.mu.Lock()
			for wid, w := range in.workers {
				if id == 0 || id == wid {
					select {
					case w.wake <- struct{}{}:
					default:
					}
				}
			}
			in.mu.Unlock()
		case <-in.clock.After(in.opts.Reconcile):
		}
	}
}

// reconcile starts workers for new or changed accounts and stops those of
// removed, disabled or changed ones.
func (in *Intake) reconcile(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	accounts, err := in.repo.Intake.Accounts(ctx, sys)
	if err != nil {
		in.log.Error("read the mail accounts", "err", err)
		return
	}
	want := map[int64]repo.IntakeAccount{}
	for _, a := range accounts {
		if a.Enabled {
			want[a.ID] = a
		}
	}
	in.stopAll(func(id int64, w *worker) bool {
		a, ok := want[id]
		return !ok || fingerprint(a) != w.fingerprint
	})
	in.mu.Lock()
	defer in.mu.Unlock()
	for id, a := range want {
		if _, ok := in.workers[id]; ok {
			continue
		}
		wctx, cancel := context.WithCancel(ctx)
		w := &worker{cancel: cancel, done: make(chan struct{}), wake: make(chan struct{}, 1), fingerprint: fingerprint(a)}
		in.workers[id] = w
		go func() {
			defer close(w.done)
			in.runAccount(wctx, a, w.wake)
		}()
	}
}

// stopAll stops (and joins) the workers pick selects, every one if nil.
func (in *Intake) stopAll(pick func(int64, *worker) bool) {
	in.mu.Lock()
	var stopping []*worker
	for id, w := range in.workers {
		if pick == nil || pick(id, w) {
			w.cancel()
			stopping = append(stopping, w)
			delete(in.workers, id)
		}
	}
	in.mu.Unlock()
	for _, w := range stopping {
		<-w.done
	}
}

// fingerprint changes when an account's settings change (not its status).
func fingerprint(a repo.IntakeAccount) string {
	a.Status = repo.IntakeStatus{}
	b, _ := json.Marshal(a)
	return string(b)
}

// runAccount is one account's loop: connect, import what waits, wait for
// more; on failure, record why and try again after a growing delay.
func (in *Intake) runAccount(ctx context.Context, a repo.IntakeAccount, wake <-chan struct{}) {
	log := in.log.With("account", a.Name)
	delay := in.opts.Retry
	for ctx.Err() == nil {
		worked, err := in.connectAndServe(ctx, a, wake)
		if ctx.Err() != nil {
			return
		}
		if worked {
			delay = in.opts.Retry
		}
		metrics.IntakeErrors.Inc()
		log.Warn("mail intake failed; retrying", "err", err, "in", delay)
		problem := Problem{Code: "connect", Detail: err.Error()}
		if rerr := in.repo.Intake.ReportStatus(context.WithoutCancel(ctx), sys, a.ID, repo.IntakeReport{Error: problem.String()}); rerr != nil {
			log.Error("record the intake's status", "err", rerr)
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-in.clock.After(delay):
		}
		delay = min(delay*2, in.opts.Poll)
	}
}

// connectAndServe runs one connection until it fails or ctx ends; worked
// reports whether at least one round succeeded.
func (in *Intake) connectAndServe(ctx context.Context, a repo.IntakeAccount, wake <-chan struct{}) (worked bool, err error) {
	s, err := in.dial(ctx, a)
	if err != nil {
		return false, err
	}
	// A command blocked on a dead server returns when ctx ends.
	stop := context.AfterFunc(ctx, func() { s.c.Close() })
	defer func() {
		if stop() {
			s.close()
		}
	}()
	for {
		if err := s.round(ctx); err != nil {
			return worked, err
		}
		worked = true
		if err := in.repo.Intake.ReportStatus(ctx, sys, a.ID, repo.IntakeReport{Polled: true, OK: true, Idle: s.idle}); err != nil {
			return worked, fmt.Errorf("record the intake's status: %w", err)
		}
		if err := s.wait(ctx, wake); err != nil {
			return worked, err
		}
	}
}

// RunOnce reads one account's mailbox once and imports what waits: the
// `notreasso intake run` command, and tests.
func (in *Intake) RunOnce(ctx context.Context, p acl.Principal, id int64) error {
	ctx = repo.WithSystemVia(ctx, "intake")
	a, err := in.repo.Intake.Account(ctx, p, id)
	if err != nil {
		return err
	}
	s, err := in.dial(ctx, a)
	if err != nil {
		in.repo.Intake.ReportStatus(ctx, sys, a.ID, repo.IntakeReport{Error: Problem{Code: "connect", Detail: err.Error()}.String()})
		return err
	}
	defer s.close()
	if err := s.round(ctx); err != nil {
		in.repo.Intake.ReportStatus(ctx, sys, a.ID, repo.IntakeReport{Error: Problem{Code: "connect", Detail: err.Error()}.String()})
		return err
	}
	return in.repo.Intake.ReportStatus(ctx, sys, a.ID, repo.IntakeReport{Polled: true, OK: true, Idle: s.idle})
}
