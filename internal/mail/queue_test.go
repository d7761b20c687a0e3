package mail

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notreasso/internal/config"
	"notreasso/internal/jobs"
	"notreasso/internal/meta"
	"notreasso/internal/testutil/fakeclock"
	"notreasso/internal/testutil/smtpserver"
)

// relayConfig points at the test relay, with STARTTLS and a login.
func relayConfig(s *smtpserver.Server) config.Mail {
	c := config.Default().Mail
	c.Host, c.Port, c.Security = s.Host, s.Port, "starttls"
	c.Username, c.Password, c.CAFile = smtpserver.Login, smtpserver.Password, s.CAFile
	c.From = "Notre Asso <asso@example.org>"
	return c
}

// node is one server process's mail side over a database file.
type node struct {
	db     *meta.DB
	out    *Outbox
	sender *Sender
}

func openNode(t *testing.T, path string, cfg config.Mail, clock *fakeclock.Clock) *node {
	t.Helper()
	db, err := meta.Open(context.Background(), path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	relay, err := NewRelay(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := NewOutbox(db, "asso.example.org", clock)
	return &node{db: db, out: out, sender: NewSender(out, relay, cfg, slog.New(slog.DiscardHandler), clock)}
}

func enqueueN(t *testing.T, out *Outbox, n int) {
	t.Helper()
	for i := range n {
		if _, err := out.Enqueue(context.Background(), Message{Kind: "test", To: fmt.Sprintf("person%d@example.org", i),
			Subject: fmt.Sprintf("message %d", i), Text: "hello"}); err != nil {
			t.Fatal(err)
		}
	}
}

// countByID counts arrivals per Message-ID: each must arrive once.
func countByID(msgs []smtpserver.Message) map[string]int {
	n := map[string]int{}
	for _, m := range msgs {
		n[m.Header.Get("Message-Id")]++
	}
	return n
}

// The relay is down: attempts fail and back off (nothing is sent before
// the retry time), the process restarts, the relay comes back, and every
// message arrives exactly once, over STARTTLS with the login.
func TestQueueSurvivesOutageAndRestart(t *testing.T) {
	ctx := context.Background()
	relay := smtpserver.Start(t)
	cfg := relayConfig(relay)
	path := filepath.Join(t.TempDir(), "meta.db")
	clock := fakeclock.New(time.Date(2026, 3, 2, 10, 0, 0, 0, time.Local))

	a := openNode(t, path, cfg, clock)
	relay.Stop()
	enqueueN(t, a.out, 3)
	if n, err := a.sender.Drain(ctx); n != 0 || err == nil {
		t.Fatalf("relay down: sent %d, err %v; want 0 and an error", n, err)
	}
	st, _ := a.out.Stats(ctx)
	if st.Waiting != 3 || st.LastError == "" {
		t.Fatalf("after a failed attempt: %+v, want 3 waiting with the error", st)
	}
	// The first message waits RetryMin; the others were not attempted.
	clock.Advance(30 * time.Second)
	relay.Restart()
	if n, _ := a.sender.Drain(ctx); n != 2 {
		t.Fatalf("before the retry time, sent %d, want only the 2 not yet attempted", n)
	}
	relay.Stop()
	enqueueN(t, a.out, 2)
	if n, _ := a.sender.Drain(ctx); n != 0 {
		t.Fatalf("relay down again: sent %d", n)
	}
	a.db.Close() // the process stops

	relay.Restart()
	clock.Advance(time.Hour)
	b := openNode(t, path, cfg, clock)
	defer b.db.Close()
	if n, err := b.sender.Drain(ctx); n != 3 || err != nil {
		t.Fatalf("after restart: sent %d (%v), want the 3 left", n, err)
	}
	if n, _ := b.sender.Drain(ctx); n != 0 {
		t.Fatalf("a second drain sent %d more", n)
	}
	msgs := relay.Messages()
	if len(msgs) != 5 {
		t.Fatalf("the relay got %d messages, want 5", len(msgs))
	}
	for id, n := range countByID(msgs) {
		if n != 1 || id == "" {
			t.Errorf("Message-ID %q arrived %d times", id, n)
		}
	}
	for _, m := range msgs {
		if !m.TLS {
			t.Errorf("message %q not sent over TLS", m.Subject())
		}
	}
	st, _ = b.out.Stats(ctx)
	if st.Waiting != 0 || st.Sent != 5 {
		t.Errorf("final stats %+v", st)
	}
	var kept int
	b.db.R.QueryRowContext(ctx, `SELECT count(*) FROM mail_outbox WHERE text_body <> '' OR html_body <> ''`).Scan(&kept)
	if kept != 0 {
		t.Errorf("%d sent messages keep their bodies (and the links in them)", kept)
	}
}

// Backoff doubles from retry_min to retry_max, and a message older than
// give_up is abandoned, not retried for ever.
func TestRetryBackoffAndGiveUp(t *testing.T) {
	ctx := context.Background()
	relay := smtpserver.Start(t)
	relay.Stop()
	cfg := relayConfig(relay)
	cfg.RetryMin, cfg.RetryMax, cfg.GiveUp = time.Minute, 4*time.Minute, 30*time.Minute
	clock := fakeclock.New(time.Date(2026, 3, 2, 10, 0, 0, 0, time.Local))
	n := openNode(t, filepath.Join(t.TempDir(), "meta.db"), cfg, clock)
	defer n.db.Close()
	enqueueN(t, n.out, 1)
	var waits []time.Duration
	for range 6 {
		n.sender.Drain(ctx)
		next, err := n.out.nextDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if next.IsZero() {
			break
		}
		waits = append(waits, next.Sub(clock.Now()))
		clock.Advance(next.Sub(clock.Now()))
	}
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 4 * time.Minute, 4 * time.Minute, 4 * time.Minute}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("waits %v, want %v", waits, want)
	}
	clock.Advance(30 * time.Minute)
	n.sender.Drain(ctx)
	st, _ := n.out.Stats(ctx)
	if st.Failed != 1 || st.Waiting != 0 {
		t.Errorf("after give_up: %+v, want 1 failed", st)
	}
}

// A refused address fails for good at once; the others are delivered.
func TestRefusedRecipientFailsAlone(t *testing.T) {
	ctx := context.Background()
	relay := smtpserver.Start(t)
	clock := fakeclock.New(time.Now())
	n := openNode(t, filepath.Join(t.TempDir(), "meta.db"), relayConfig(relay), clock)
	defer n.db.Close()
	for _, to := range []string{"a@example.org", "nobody@refused.test", "b@example.org"} {
		if _, err := n.out.Enqueue(ctx, Message{Kind: "test", To: to, Subject: "s", Text: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	if sent, err := n.sender.Drain(ctx); sent != 2 || err != nil {
		t.Fatalf("sent %d (%v), want 2", sent, err)
	}
	st, _ := n.out.Stats(ctx)
	if st.Failed != 1 || st.Waiting != 0 {
		t.Errorf("stats %+v, want the refused one failed", st)
	}
}

// Stopping the job (SIGTERM, a restart) mid-queue finishes the message in
// hand: no message is left claimed-but-unmarked, so the next process
// sends each remaining one once and none twice.
func TestStopMidQueueSendsNothingTwice(t *testing.T) {
	ctx := context.Background()
	relay := smtpserver.Start(t)
	relay.SetDelay(150 * time.Millisecond)
	cfg := relayConfig(relay)
	path := filepath.Join(t.TempDir(), "meta.db")
	clock := fakeclock.New(time.Now())
	a := openNode(t, path, cfg, clock)
	enqueueN(t, a.out, 8)
	runner := jobs.New(ctx, slog.New(slog.DiscardHandler), clock)
	if err := runner.Start(a.sender.Job()); err != nil {
		t.Fatal(err)
	}
	relay.Wait(2, 20*time.Second)
	runner.Stop() // cancels while a message is in the relay's hands
	var claimed int
	if err := a.db.R.QueryRowContext(ctx, `SELECT count(*) FROM mail_outbox WHERE claimed_at IS NOT NULL AND sent_at IS NULL`).Scan(&claimed); err != nil {
		t.Fatal(err)
	}
	if claimed != 0 {
		t.Fatalf("%d messages left in doubt after a clean stop", claimed)
	}
	before := len(relay.Messages())
	if before >= 8 {
		t.Fatalf("the stop came too late to test anything (%d sent)", before)
	}
	a.db.Close()

	relay.SetDelay(0)
	b := openNode(t, path, cfg, clock)
	defer b.db.Close()
	if n, err := b.sender.Drain(ctx); n != 8-before || err != nil {
		t.Fatalf("after restart sent %d (%v), want %d", n, err, 8-before)
	}
	for id, n := range countByID(relay.Messages()) {
		if n != 1 {
			t.Errorf("Message-ID %s arrived %d times", id, n)
		}
	}
	if len(relay.Messages()) != 8 {
		t.Errorf("%d messages arrived, want 8", len(relay.Messages()))
	}
}

// A process killed between the relay's acceptance and the mark leaves the
// message claimed: it is sent again only after the claim's lease, with
// the same Message-ID (at least once, documented in docs/mail.md).
func TestCrashAfterClaimResendsAfterLease(t *testing.T) {
	ctx := context.Background()
	relay := smtpserver.Start(t)
	clock := fakeclock.New(time.Now())
	path := filepath.Join(t.TempDir(), "meta.db")
	a := openNode(t, path, relayConfig(relay), clock)
	enqueueN(t, a.out, 1)
	q, ok, err := a.out.claim(ctx, claimLease)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	a.db.Close() // killed mid-send

	b := openNode(t, path, relayConfig(relay), clock)
	defer b.db.Close()
	if n, _ := b.sender.Drain(ctx); n != 0 {
		t.Fatalf("a claimed message was sent again before its lease ended")
	}
	clock.Advance(claimLease)
	if n, _ := b.sender.Drain(ctx); n != 1 {
		t.Fatalf("the message in doubt was not sent after the lease")
	}
	if got := relay.Messages()[0].Header.Get("Message-Id"); got != q.MessageID {
		t.Errorf("resent with Message-ID %s, want the stored %s", got, q.MessageID)
	}
}

// Enqueue with the same DedupKey queues one message.
func TestEnqueueDedup(t *testing.T) {
	ctx := context.Background()
	db, err := meta.Open(ctx, filepath.Join(t.TempDir(), "meta.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := NewOutbox(db, "x", nil)
	m := Message{Kind: "digest", To: "a@example.org", Subject: "s", Text: "t", DedupKey: "digest:1:2"}
	id1, err1 := out.Enqueue(ctx, m)
	id2, err2 := out.Enqueue(ctx, m)
	if err1 != nil || err2 != nil || id1 == 0 || id2 != 0 {
		t.Fatalf("ids %d %d errs %v %v", id1, id2, err1, err2)
	}
	if _, err := out.Enqueue(ctx, Message{Kind: "x"}); err != ErrNoAddress {
		t.Errorf("no address: %v", err)
	}
}

// The roles feature calls Notify(TermEnding) every day of the last 30:
// the person gets one reminder per term; an account without an address
// is skipped without error.
func TestTermEndingQueuedOnce(t *testing.T) {
	ctx := context.Background()
	db, err := meta.Open(ctx, filepath.Join(t.TempDir(), "meta.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := NewRenderer("https://docs.asso.example", "Les Amis du Canal")
	if err != nil {
		t.Fatal(err)
	}
	out := NewOutbox(db, "docs.asso.example", nil)
	m := NewMailer(out, r, NewTokens([]byte("k")))
	to := Recipient{Login: "marie", Email: "marie@example.org", Lang: "fr"}
	ends := time.Date(2026, 6, 30, 0, 0, 0, 0, time.Local)
	for range 3 {
		if err := m.Notify(ctx, to, TermEnding{Role: "Trésorière", Ends: ends, Key: "42"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Notify(ctx, Recipient{Login: "paul"}, TermEnding{Role: "Président", Ends: ends, Key: "43"}); err != nil {
		t.Fatalf("no address: %v", err)
	}
	recent, err := out.Recent(ctx, 10)
	if err != nil || len(recent) != 1 || recent[0].Kind != "term_end" || !strings.Contains(recent[0].Subject, "Trésorière") {
		t.Fatalf("queued: %+v %v", recent, err)
	}
}
