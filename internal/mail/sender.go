package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"notreasso/internal/config"
	"notreasso/internal/jobs"
	"notreasso/internal/metrics"
)

// claimLease is how long a claimed message is left to its sender before
// another attempt may take it: far longer than one SMTP exchange (go-mail
// times out after 30 s), so only a process that died mid-send loses it.
const claimLease = 10 * time.Minute

// pollEvery bounds how long the sender sleeps when nothing wakes it (a
// message enqueued by another node, a retry time reached).
const pollEvery = 15 * time.Second

// Sender is the job that drains the outbox through the relay.
//
// Delivery is at least once, with duplicates ruled out in every case but
// one: each message is claimed (its attempt counted) in one transaction,
// handed to the relay, and marked sent as soon as the relay accepts it.
// A stop (SIGTERM, a restart) lets the message in hand finish and be
// marked before the job returns, so a restart never sends one twice. Only
// a process killed in the instant between the relay's acceptance and the
// mark leaves a message in doubt; it is sent again after claimLease, with
// the same Message-ID. Losing an invitation or a password link silently
// would be worse than that rare duplicate.
type Sender struct {
	out   *Outbox
	relay *Relay
	cfg   config.Mail
	log   *slog.Logger
	clock jobs.Clock
	// composers make, at send time, the messages queued as a payload.
	composers map[string]Composer

	pauseUntil time.Time // after a connection failure
	pauses     int
	pausedAt   int64       // the relay settings' version that failed
	resume     atomic.Bool // RetryNow: end the pause
}

// NewSender returns the sender of out through relay. A nil clock is the
// wall clock.
func NewSender(out *Outbox, relay *Relay, cfg config.Mail, log *slog.Logger, clock jobs.Clock) *Sender {
	if clock == nil {
		clock = jobsClock{}
	}
	return &Sender{out: out, relay: relay, cfg: cfg, log: log, clock: clock}
}

type jobsClock struct{}

func (jobsClock) Now() time.Time                         { return time.Now() }
func (jobsClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Composer makes a message queued as a payload (Message.Payload) when it
// is about to be sent. ok false: nothing to send any more.
type Composer interface {
	Compose(ctx context.Context, m Message) (out Message, ok bool, err error)
}

// Compose makes the sender call c for messages of that kind.
func (s *Sender) Compose(kind string, c Composer) {
	if s.composers == nil {
		s.composers = map[string]Composer{}
	}
	s.composers[kind] = c
}

// Job is the long-running job of the server's runner.
func (s *Sender) Job() jobs.Job {
	return jobs.Job{Name: "mail.send", Run: s.run}
}

func (s *Sender) run(ctx context.Context) error {
	for {
		if !s.paused(ctx) {
			if _, err := s.Drain(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("mail not delivered; will retry", "err", err, "retry_at", s.pauseUntil)
			}
		}
		// Even in a pause the loop wakes every pollEvery: settings saved
		// on another server end it (paused).
		wait := pollEvery
		now := s.clock.Now()
		if s.pauseUntil.After(now) {
			wait = min(wait, s.pauseUntil.Sub(now))
		} else if next, err := s.out.nextDue(ctx); err == nil && !next.IsZero() {
			wait = min(wait, next.Sub(now))
		}
		if wait < 0 {
			wait = 0
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.out.wake:
			if s.resume.Swap(false) {
				s.pauses, s.pauseUntil = 0, time.Time{}
			}
		case <-s.clock.After(wait):
		}
	}
}

// paused says whether the sender waits after a connection failure. New
// relay settings (saved on any server) end the wait: they may be the fix.
func (s *Sender) paused(ctx context.Context) bool {
	if !s.pauseUntil.After(s.clock.Now()) {
		return false
	}
	if v := s.relay.Version(ctx); v >= 0 && v != s.pausedAt {
		s.pauses, s.pauseUntil = 0, time.Time{}
		return false
	}
	return true
}

// Drain delivers every due message over one connection and returns how
// many the relay accepted. It stops at the first connection failure
// (the relay is down: the message in hand gets its retry time) and when
// ctx ends, after finishing the message in hand.
func (s *Sender) Drain(ctx context.Context) (int, error) {
	var sess *session
	defer func() {
		if sess != nil {
			sess.close()
		}
	}()
	// The message in hand is finished and marked even if ctx ends: that
	// is what keeps a restart from sending it twice.
	keep := context.WithoutCancel(ctx)
	sent := 0
	for ctx.Err() == nil {
		q, ok, err := s.out.claim(keep, claimLease)
		if err != nil || !ok {
			return sent, err
		}
		if c := s.composers[q.Kind]; c != nil && q.Payload != "" {
			m, ok, err := c.Compose(keep, q.Message)
			if err != nil {
				if ferr := s.failed(keep, q, err); ferr != nil {
					return sent, ferr
				}
				continue
			}
			if !ok {
				if err := s.out.markSkipped(keep, q.ID, "nothing left to tell"); err != nil {
					return sent, err
				}
				continue
			}
			q.Message = m
		}
		if sess == nil {
			sess, err = s.relay.dial(ctx)
			if err != nil {
				sess = nil
				s.pausedAt = s.relay.Version(keep)
				s.pauses++
				s.pauseUntil = s.clock.Now().Add(s.backoff(s.pauses))
				return sent, errors.Join(err, s.failed(keep, q, err))
			}
			s.pauses, s.pauseUntil = 0, time.Time{}
		}
		if err := sess.send(q, s.clock.Now()); err != nil {
			if ferr := s.failed(keep, q, err); ferr != nil {
				return sent, ferr
			}
			var perm permanent
			if errors.As(err, &perm) {
				continue // that address only; the connection is fine
			}
			return sent, fmt.Errorf("send %s mail %d: %w", q.Kind, q.ID, err)
		}
		if err := s.out.markSent(keep, q.ID); err != nil {
			return sent, err
		}
		metrics.MailSent.WithLabelValues(q.Kind).Inc()
		s.log.Info("mail sent", "kind", q.Kind, "id", q.ID, "attempt", q.Attempts)
		sent++
	}
	return sent, nil
}

// failed records a failed attempt: a retry time doubling from RetryMin
// up to RetryMax, or abandonment when the message is older than GiveUp or
// refused for good.
func (s *Sender) failed(ctx context.Context, q queued, cause error) error {
	now := s.clock.Now()
	var perm permanent
	giveUp := errors.As(cause, &perm) || now.Sub(q.CreatedAt) >= s.cfg.GiveUp
	outcome := "retry"
	if giveUp {
		outcome = "abandoned"
		s.log.Error("mail abandoned", "kind", q.Kind, "id", q.ID, "attempts", q.Attempts, "err", cause)
	}
	metrics.MailFailures.WithLabelValues(outcome).Inc()
	return s.out.markFailed(ctx, q.ID, cause, now.Add(s.backoff(q.Attempts)), giveUp)
}

// backoff is the wait before attempt n+1.
func (s *Sender) backoff(n int) time.Duration {
	d := s.cfg.RetryMin
	for i := 1; i < n && d < s.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, s.cfg.RetryMax)
}

// Resume ends a pause after connection failures (new relay settings were
// saved here: they may be the fix) and wakes the sender.
func (s *Sender) Resume() {
	s.resume.Store(true)
	s.out.Wake()
}

// RetryNow makes every waiting or abandoned message due at once and ends
// a pause after connection failures: the admin page's « Réessayer
// maintenant », once the relay is back.
func (s *Sender) RetryNow(ctx context.Context) (int64, error) {
	s.resume.Store(true)
	return s.out.RetryNow(ctx)
}
