package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"notreasso/internal/meta"
)

// ErrThrottled means too many recent failed attempts: the caller must wait
// (a *ThrottledError says how long) before trying again.
var ErrThrottled = errors.New("too many failed attempts")

// ThrottledError is ErrThrottled with the time left to wait.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("%v; try again in %d s", ErrThrottled, e.Seconds())
}

// Is makes errors.Is(err, ErrThrottled) work.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// Seconds is the wait rounded up, at least 1 (for Retry-After).
func (e *ThrottledError) Seconds() int {
	return max(1, int((e.RetryAfter+time.Second-1)/time.Second))
}

// rule is how one kind of counter reacts to failures: free attempts, then a
// delay doubling from base up to max; a quiet period resets the count.
type rule struct {
	free      int
	base, max time.Duration
	forget    time.Duration
}

// The limits. The main one is per (account, address): a real user
// mistyping gets 5 tries, then waits seconds, at most 5 minutes; an
// attacker's address is slowed down on that account only. Per address
// (password spraying across accounts): generous, for offices behind one
// NAT. Per account across addresses, a ceiling rather than a lock: only
// when failures come from more than 50 distinct addresses within the hour
// (a botnet) do new addresses wait, briefly, and never an address the
// account logged in from before. Below it, failures elsewhere never lock
// the person out: 12 addresses failing once each used to.
var (
	ruleAccountIP = rule{free: 5, base: time.Second, max: 5 * time.Minute, forget: time.Hour}
	ruleIP        = rule{free: 30, base: time.Second, max: 15 * time.Minute, forget: time.Hour}
	ruleAccount   = rule{free: 50, base: time.Second, max: 30 * time.Second, forget: time.Hour}
)

const (
	knownIPTTL    = 30 * 24 * time.Hour
	maxThrottleKV = 100_000 // entries kept before the oldest are dropped
)

// Throttle counts failed logins and answers how long a new attempt must
// wait. It never sleeps: callers answer 429 with Retry-After at once, so a
// flood costs no goroutines and no password hashes. With SQLite the state
// is in memory (a restart forgives everyone, acceptable for delays this
// short); with PostgreSQL it is in the database (throttle_shared.go), so
// the servers of a cluster count one attacker's attempts together.
type Throttle struct {
	shared  *meta.DB
	logger  *slog.Logger
	mu      sync.Mutex
	now     func() time.Time
	strikes map[string]*strike
	known   map[string]time.Time // account|ip → last successful login
}

type strike struct {
	fails int
	last  time.Time
	until time.Time
	ips   map[string]struct{} // per-account counter: distinct failing IPs
}

// NewThrottle builds an empty throttle reading time from now (time.Now if
// nil): tests give it a clock they move, so no test depends on how fast
// the machine hashes.
func NewThrottle(now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	return &Throttle{now: now, strikes: map[string]*strike{}, known: map[string]time.Time{}}
}

func (t *Throttle) log() *slog.Logger {
	if t.logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return t.logger
}

// ipKey groups IPv6 addresses by /64 (one subscriber's allocation), so a
// single attacker cannot rotate through addresses.
func ipKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// Wait returns how long an attempt on account from ip must still wait;
// zero means go ahead.
func (t *Throttle) Wait(ip, account string) time.Duration {
	ip = ipKey(ip)
	if t.shared != nil {
		return t.waitShared(ip, account)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	wait := max(t.left("ip|"+ip, now), t.left("acct-ip|"+account+"|"+ip, now))
	if seen, ok := t.known[account+"|"+ip]; !ok || now.Sub(seen) > knownIPTTL {
		wait = max(wait, t.left("acct|"+account, now))
	}
	return wait
}

func (t *Throttle) left(key string, now time.Time) time.Duration {
	if s := t.strikes[key]; s != nil && s.until.After(now) {
		return s.until.Sub(now)
	}
	return 0
}

// Fail records a failed attempt.
func (t *Throttle) Fail(ip, account string) {
	ip = ipKey(ip)
	if t.shared != nil {
		t.failShared(ip, account)
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.strikes) > maxThrottleKV {
		t.prune(now)
	}
	t.bump("ip|"+ip, ruleIP, now, "")
	t.bump("acct-ip|"+account+"|"+ip, ruleAccountIP, now, "")
	t.bump("acct|"+account, ruleAccount, now, ip)
}

// bump counts one failure under key; with ip set, only distinct IPs count.
func (t *Throttle) bump(key string, r rule, now time.Time, ip string) {
	t.strikes[key] = r.count(t.strikes[key], now, ip)
}

// count adds one failure to s (nil: none yet) and returns it.
func (r rule) count(s *strike, now time.Time, ip string) *strike {
	if s == nil || now.Sub(s.last) > r.forget {
		s = &strike{}
	}
	s.last = now
	if ip != "" {
		if s.ips == nil {
			s.ips = map[string]struct{}{}
		}
		if _, seen := s.ips[ip]; seen {
			return s
		}
		s.ips[ip] = struct{}{}
	}
	s.fails++
	if over := s.fails - r.free; over >= 0 {
		d := r.max
		if over < 20 {
			d = min(r.max, r.base<<over)
		}
		s.until = now.Add(d)
	}
	return s
}

// Succeed records a successful login: that account's counter for this IP
// restarts, and the IP is remembered as the account's own.
func (t *Throttle) Succeed(ip, account string) {
	ip = ipKey(ip)
	if t.shared != nil {
		t.succeedShared(ip, account)
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.strikes, "acct-ip|"+account+"|"+ip)
	if len(t.known) > maxThrottleKV {
		clear(t.known)
	}
	t.known[account+"|"+ip] = t.now()
}

// prune drops counters quiet for an hour; under a flood of fresh addresses
// it forgets everything rather than grow without bound.
func (t *Throttle) prune(now time.Time) {
	for k, s := range t.strikes {
		if now.Sub(s.last) > time.Hour && !s.until.After(now) {
			delete(t.strikes, k)
		}
	}
	if len(t.strikes) > maxThrottleKV {
		clear(t.strikes)
	}
}

// check is Wait as an error.
func (t *Throttle) check(ip, account string) error {
	if d := t.Wait(ip, account); d > 0 {
		return &ThrottledError{RetryAfter: d}
	}
	return nil
}
