package mail

import (
	"context"
	"slices"
	"testing"
	"time"

	"notreasso/internal/auth"
	"notreasso/internal/repo"
	"notreasso/internal/testutil/repotest"
)

// The end-of-term reminder job hands each term to TermReminders once; it
// queues one e-mail to the holder and one to each administrator, and a
// retried pass queues nothing twice.
func TestTermRemindersQueueHolderAndAdmins(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 5, 20, 10, 0, 0, 0, time.Local)
	e := repotest.New(t, repo.Options{Now: func() time.Time { return now }})
	e.Auth.SetClock(func() time.Time { return now })
	for login, addr := range map[string]string{"admin": "admin@asso.example", "marie": "marie@asso.example", "paul": "paul@asso.example"} {
		if _, err := e.Auth.UpdateUser(ctx, 0, login, auth.UserChanges{Email: &addr}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Auth.AddTerm(ctx, 0, auth.TermInput{Office: "treasurer", Login: "marie",
		Start: time.Date(2025, 6, 14, 0, 0, 0, 0, time.Local), End: time.Date(2026, 6, 13, 0, 0, 0, 0, time.Local)}); err != nil {
		t.Fatal(err)
	}
	r, err := NewRenderer("https://docs.asso.example", "Les Amis du Canal")
	if err != nil {
		t.Fatal(err)
	}
	out := NewOutbox(e.DB, "docs.asso.example", nil)
	n := TermReminders{Mailer: NewMailer(out, r, NewTokens([]byte("k"))), Auth: e.Auth}
	if k, err := e.Auth.RemindTermsEnding(ctx, n); err != nil || k != 1 {
		t.Fatalf("reminders: %d %v", k, err)
	}
	ts, _ := e.Auth.Terms(ctx, auth.TermFilter{})
	if err := n.TermEnding(ctx, ts[0], 24); err != nil { // a retried hand-over
		t.Fatal(err)
	}
	recent, err := out.Recent(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, m := range recent {
		if m.Kind != "term_end" {
			t.Errorf("queued %+v", m)
		}
		to = append(to, m.To)
	}
	slices.Sort(to)
	if !slices.Equal(to, []string{"admin@asso.example", "marie@asso.example"}) {
		t.Errorf("reminders went to %v", to)
	}
}
