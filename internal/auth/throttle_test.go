package auth

import (
	"context"
	"errors"
	"fmt"
	"notreasso/internal/clientip"
	"testing"
	"time"

	"notreasso/internal/acl"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestThrottleRules(t *testing.T) {
	tests := []struct {
		name  string
		fails func(th *Throttle) // failures recorded before the check
		ip    string
		acct  string
		want  bool // throttled?
	}{
		{"first attempts are free", func(th *Throttle) { failN(th, "10.0.0.1", "marie", 4) }, "10.0.0.1", "marie", false},
		{"5 failures on one account from one IP", func(th *Throttle) { failN(th, "10.0.0.1", "marie", 5) }, "10.0.0.1", "marie", true},
		{"same account, other IP", func(th *Throttle) { failN(th, "10.0.0.1", "marie", 50) }, "10.0.0.2", "marie", false},
		{"same IP, other account", func(th *Throttle) { failN(th, "10.0.0.1", "marie", 20) }, "10.0.0.1", "paul", false},
		{"spraying many accounts from one IP", func(th *Throttle) {
			for i := range 30 {
				th.Fail("10.0.0.1", string(rune('a'+i%26))+"x")
			}
		}, "10.0.0.1", "paul", true},
		// 12 addresses failing cannot lock the person out of a new one
		// (they used to: 429 from anywhere)…
		{"one account from 12 IPs, new IP passes", func(th *Throttle) {
			for i := range 12 {
				failN(th, fmt.Sprintf("10.0.1.%d", i), "marie", 5)
			}
		}, "10.0.0.9", "marie", false},
		// …only a botnet over the ceiling slows new addresses down…
		{"one account from more IPs than the ceiling", func(th *Throttle) {
			for i := range ruleAccount.free + 1 {
				th.Fail(fmt.Sprintf("10.0.1.%d", i), "marie")
			}
		}, "10.0.0.9", "marie", true},
		// …and never an address the account logged in from.
		{"over the ceiling, known IP passes", func(th *Throttle) {
			th.Succeed("10.0.0.9", "marie")
			for i := range ruleAccount.free + 1 {
				th.Fail(fmt.Sprintf("10.0.1.%d", i), "marie")
			}
		}, "10.0.0.9", "marie", false},
		{"IPv6 neighbours share a /64", func(th *Throttle) {
			for i := range 5 {
				th.Fail("2001:db8::"+string(rune('1'+i)), "marie")
			}
		}, "2001:db8::ffff", "marie", true},
		{"success resets the account's IP counter", func(th *Throttle) {
			failN(th, "10.0.0.1", "marie", 4)
			th.Succeed("10.0.0.1", "marie")
			failN(th, "10.0.0.1", "marie", 4)
		}, "10.0.0.1", "marie", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{t: time.Unix(1e9, 0)}
			th := NewThrottle(c.now)
			tt.fails(th)
			if got := th.Wait(tt.ip, tt.acct) > 0; got != tt.want {
				t.Errorf("throttled = %v, want %v", got, tt.want)
			}
		})
	}
}

func failN(th *Throttle, ip, acct string, n int) {
	for range n {
		th.Fail(ip, acct)
	}
}

func TestThrottleDelaysGrowThenExpire(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	th := NewThrottle(c.now)
	var waits []time.Duration
	for range 12 {
		th.Fail("10.0.0.1", "marie")
		waits = append(waits, th.Wait("10.0.0.1", "marie"))
	}
	for i := 5; i < len(waits); i++ {
		if waits[i] <= waits[i-1] && waits[i] < ruleAccountIP.max {
			t.Fatalf("delays do not grow: %v", waits)
		}
	}
	if waits[len(waits)-1] > ruleAccountIP.max {
		t.Fatalf("delay over the cap: %v", waits)
	}
	// Never locked out for long: after the capped delay, a try is allowed.
	c.advance(ruleAccountIP.max)
	if w := th.Wait("10.0.0.1", "marie"); w != 0 {
		t.Fatalf("still throttled after %v: %v", ruleAccountIP.max, w)
	}
	// And an hour of quiet forgets everything.
	c.advance(ruleAccountIP.forget + time.Second)
	th.Fail("10.0.0.1", "marie")
	if w := th.Wait("10.0.0.1", "marie"); w != 0 {
		t.Fatalf("old failures still count: %v", w)
	}
}

// TestAuthenticateThrottled runs on a clock of its own: the ban must hold
// however long the hashes take (on a loaded machine, the wall-clock second
// of the first delay used to lapse before the last check).
func TestAuthenticateThrottled(t *testing.T) {
	s := newService(t)
	c := &clock{t: time.Unix(1e9, 0)}
	s.now = c.now
	ctx := context.Background()
	if _, err := s.CreateUser(ctx, 0, "marie", "secret-123", acl.Member); err != nil {
		t.Fatal(err)
	}
	attacker := clientip.With(ctx, "192.0.2.1")
	var bad, throttled int
	for range 20 {
		_, err := s.Authenticate(attacker, "marie", "wrong-password")
		switch {
		case errors.Is(err, ErrThrottled):
			throttled++
			var te *ThrottledError
			if !errors.As(err, &te) || te.Seconds() < 1 {
				t.Fatalf("throttled without a wait: %v", err)
			}
		case errors.Is(err, ErrBadCredentials):
			bad++
		default:
			t.Fatalf("unexpected: %v", err)
		}
	}
	if bad != ruleAccountIP.free || throttled != 20-bad {
		t.Errorf("%d refused, %d throttled", bad, throttled)
	}
	// The right password from the attacker's IP is throttled too…
	if _, err := s.Authenticate(attacker, "marie", "secret-123"); !errors.Is(err, ErrThrottled) {
		t.Errorf("right password from the attacker's IP: %v", err)
	}
	// …but the real user elsewhere logs in, on every door.
	home := clientip.With(ctx, "198.51.100.7")
	if _, err := s.Authenticate(home, "marie", "secret-123"); err != nil {
		t.Errorf("Basic from another IP: %v", err)
	}
	if _, _, err := s.Login(home, "marie", "secret-123"); err != nil {
		t.Errorf("web login from another IP: %v", err)
	}
	if _, _, err := s.Login(attacker, "marie", "secret-123"); !errors.Is(err, ErrThrottled) {
		t.Errorf("web login from the attacker's IP: %v", err)
	}
}
