package auth

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/clientip"
	"notreasso/internal/meta"
	"notreasso/internal/testutil/testdb"
)

// Two servers sharing one PostgreSQL database throttle an attacker who
// alternates between them as one server would: 5 refusals, then waits.
func TestThrottleSharedAcrossServers(t *testing.T) {
	url := testdb.NewPostgres(t)
	ctx := context.Background()
	c := &clock{t: time.Unix(1e9, 0)}
	var nodes []*Service
	for range 2 {
		db, err := meta.Open(ctx, url, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		s := New(db, nil)
		s.now = c.now
		nodes = append(nodes, s)
	}
	if _, err := nodes[0].CreateUser(ctx, 0, "marie", "secret-123", acl.Member); err != nil {
		t.Fatal(err)
	}
	attacker := clientip.With(ctx, "192.0.2.1")
	var bad, throttled int
	for i := range 12 {
		_, err := nodes[i%2].Authenticate(attacker, "marie", "wrong-password")
		switch {
		case errors.Is(err, ErrThrottled):
			throttled++
		case errors.Is(err, ErrBadCredentials):
			bad++
		default:
			t.Fatalf("unexpected: %v", err)
		}
	}
	if bad != ruleAccountIP.free || throttled != 12-bad {
		t.Errorf("attempts alternating between two servers: %d refused, %d throttled; want %d refused as on one server", bad, throttled, ruleAccountIP.free)
	}
	// The wait is over for both servers once the clock passes it, and a
	// success on one clears the counter for the other.
	c.t = c.t.Add(10 * time.Minute)
	if _, err := nodes[1].Authenticate(attacker, "marie", "secret-123"); err != nil {
		t.Fatalf("right password after the wait: %v", err)
	}
	if _, err := nodes[0].Authenticate(attacker, "marie", "wrong-password"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("after a success elsewhere, a mistake is a mistake again: %v", err)
	}
}
