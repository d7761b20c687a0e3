// Package fakeclock is a clock for tests of background work (jobs.Clock
// and the schedulers built like it): time moves only when the test calls
// Advance, which fires the After channels that are due.
package fakeclock

import (
	"sync"
	"time"
)

// Clock is a manual clock; the zero value starts at the zero time.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	c  chan time.Time
}

// New returns a clock set at now.
func New(now time.Time) *Clock { return &Clock{now: now} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// After returns a channel that receives the time once Advance reaches d
// from now (at once when d is not positive, as time.After).
func (c *Clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	return ch
}

// Advance moves the clock by d and fires the channels that are due.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.c <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// Pending counts the After channels not fired yet: a test waits for the
// code under test to be waiting before it advances the clock.
func (c *Clock) Pending() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.waiters) }
