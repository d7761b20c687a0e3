package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"notreasso/internal/acl"
)

// A login flow started on one server is confirmed and collected on
// another sharing the database; it hands its password once, only after
// approval, keeps no password while it waits, and expires.
func TestLoginFlowsAcrossServers(t *testing.T) {
	ctx := context.Background()
	open := sharedDatabase(t)
	a, _ := open()
	b, _ := open()
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a.now, b.now = clock, clock
	marie, err := a.CreateUser(ctx, 0, "marie", "secret-123", acl.Member)
	if err != nil {
		t.Fatal(err)
	}
	name := func(f Flow) string { return f.App + " — " + f.Device }
	info := Flow{App: "Nextcloud (ordinateur)", Device: "Linux"}

	login, poll, err := a.StartFlow(ctx, info, 20*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok, err := b.PollFlow(ctx, poll, name); ok || err != nil {
		t.Fatalf("poll before approval: %v %v", ok, err)
	}
	if got, err := b.PendingFlow(ctx, login); err != nil || got != info {
		t.Fatalf("pending on the other server: %+v %v", got, err)
	}
	if _, err := b.PendingFlow(ctx, poll); !errors.Is(err, ErrNoFlow) {
		t.Errorf("the poll token opened the confirmation page: %v", err)
	}
	if err := b.ApproveFlow(ctx, login, marie.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.PendingFlow(ctx, login); !errors.Is(err, ErrNoFlow) {
		t.Errorf("an approved flow is still pending: %v", err)
	}
	if _, _, ok, _ := a.TakeFlow(ctx, login, name); ok {
		t.Error("a v2 flow was taken by its login token (the browser's address)")
	}
	l, secret, ok, err := a.PollFlow(ctx, poll, name)
	if err != nil || !ok || l != "marie" || secret == "" {
		t.Fatalf("poll after approval: %q %q %v %v", l, secret, ok, err)
	}
	if _, _, ok, _ := b.PollFlow(ctx, poll, name); ok {
		t.Error("credentials handed out twice")
	}
	if p, err := b.Authenticate(ctx, "marie", secret); err != nil || p.UserID != marie.ID {
		t.Errorf("the flow's app password does not log in: %+v %v", p, err)
	}
	aps, _ := b.AppPasswords(ctx, marie.ID)
	if len(aps) != 1 || aps[0].Name != "Nextcloud (ordinateur) — Linux" {
		t.Errorf("app passwords: %+v", aps)
	}

	// v1: collected by the confirmation page, never by a poll.
	login1, poll1, _ := a.StartFlow(ctx, Flow{App: "Nextcloud Android", Device: "Android", Redirect: true}, 20*time.Minute)
	if err := b.ApproveFlow(ctx, login1, marie.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := a.PollFlow(ctx, poll1, name); ok {
		t.Error("a v1 flow was polled")
	}
	if l, s, ok, err := a.TakeFlow(ctx, login1, name); !ok || err != nil || l != "marie" || s == "" {
		t.Errorf("take a v1 flow: %q %v %v", l, ok, err)
	}

	// Denied, then expired flows give nothing.
	login2, poll2, _ := a.StartFlow(ctx, info, 20*time.Minute)
	if err := b.DenyFlow(ctx, login2); err != nil {
		t.Fatal(err)
	}
	if err := a.ApproveFlow(ctx, login2, marie.ID); !errors.Is(err, ErrNoFlow) {
		t.Errorf("a denied flow was approved: %v", err)
	}
	if _, _, ok, _ := a.PollFlow(ctx, poll2, name); ok {
		t.Error("a denied flow was polled")
	}
	login3, poll3, _ := a.StartFlow(ctx, info, 20*time.Minute)
	if err := a.ApproveFlow(ctx, login3, marie.ID); err != nil {
		t.Fatal(err)
	}
	now = now.Add(21 * time.Minute)
	if _, _, ok, _ := b.PollFlow(ctx, poll3, name); ok {
		t.Error("an expired flow was polled")
	}
	login4, _, _ := a.StartFlow(ctx, info, 20*time.Minute)
	now = now.Add(21 * time.Minute)
	if _, err := b.PendingFlow(ctx, login4); !errors.Is(err, ErrNoFlow) {
		t.Errorf("an expired flow is pending: %v", err)
	}
	if err := b.ApproveFlow(ctx, login4, marie.ID); !errors.Is(err, ErrNoFlow) {
		t.Errorf("an expired flow was approved: %v", err)
	}
	if aps, _ := b.AppPasswords(ctx, marie.ID); len(aps) != 2 {
		t.Errorf("app passwords made: %d, want 2 (the v2 and the v1 flow)", len(aps))
	}
}
