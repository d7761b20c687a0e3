package intake

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"notreasso/indexer/extract/testdocs"
	"notreasso/internal/repo"
	"notreasso/internal/testutil/dovecot"
	"notreasso/internal/testutil/fakeclock"
	"notreasso/internal/testutil/repotest"
)

// waitFor polls cond; the deadline only guards against a hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func simpleMessage(t *testing.T, i int) dovecot.Message {
	g := gen(t)
	return dovecot.Message{From: "tresorier@asso.fr", To: "asso@asso.fr", Subject: fmt.Sprintf("Pièce %d", i), MessageID: fmt.Sprintf("piece-%d@asso.fr", i),
		Date: mailDate, Files: []dovecot.File{{Name: fmt.Sprintf("piece-%d.pdf", i), Type: "application/pdf", Data: g(testdocs.PDF(fmt.Sprintf("pièce numéro %d", i)))}}}
}

// TestServerOutage: the IMAP server unreachable, then restarted, then
// killed while the intake waits on IDLE: each failure is shown in the
// account's status with its reason and counted, the intake retries on its
// own (the test's clock), and every message ends up imported exactly once.
func TestServerOutage(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, repo.Options{}, repo.IntakeAccount{Allow: []string{"asso.fr"},
		Rules: []repo.IntakeRule{{Match: repo.MatchDefault, Folder: "/Pièces", KeepAttachments: true}}})
	f.imap.AppendMessage(t, "INBOX", simpleMessage(t, 1))
	f.imap.Stop()

	clock := fakeclock.New(time.Unix(1_750_000_000, 0))
	f.in = New(Options{Repo: f.env.Repo, Logger: f.env.Log, TempDir: t.TempDir(), Clock: clock, Poll: time.Hour, Retry: time.Minute})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- f.in.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	status := func() repo.IntakeStatus {
		a, err := f.env.Repo.Intake.Account(ctx, f.env.Admin, f.acct.ID)
		if err != nil {
			t.Fatal(err)
		}
		return a.Status
	}
	waitFor(t, "the outage in the status", func() bool { return strings.Contains(status().LastError, "connect") })
	errs, err := f.env.Repo.Intake.Errors(ctx, f.env.Admin, f.acct.ID, 10)
	if err != nil || len(errs) == 0 || !strings.Contains(errs[0].Reason, "refused") {
		t.Fatalf("errors %+v (%v), want the connection refused", errs, err)
	}

	// Back: the retry (on the clock, not a wake) imports the waiting mail.
	f.imap.Start()
	clock.Advance(time.Minute)
	waitFor(t, "the first message", func() bool { return versions(t, f.env, "/")["/Pièces/piece-1.pdf"] == 1 })
	waitFor(t, "a clean status", func() bool { s := status(); return s.LastError == "" && s.Idle })

	// New mail while idling arrives without waiting for a poll.
	f.imap.AppendMessage(t, "INBOX", simpleMessage(t, 2))
	waitFor(t, "the second message (IDLE)", func() bool { return versions(t, f.env, "/")["/Pièces/piece-2.pdf"] == 1 })

	// Killed while idling: the error shows; mail sent meanwhile waits on
	// the server and comes in after the restart.
	f.imap.Stop()
	waitFor(t, "the second outage in the status", func() bool { return status().LastError != "" })
	f.imap.Start()
	f.imap.AppendMessage(t, "INBOX", simpleMessage(t, 3))
	for versions(t, f.env, "/")["/Pièces/piece-3.pdf"] == 0 {
		clock.Advance(time.Hour) // retries double up to the poll period
		time.Sleep(50 * time.Millisecond)
	}
	got := versions(t, f.env, "/")
	want := map[string]int{"/Pièces/piece-1.pdf": 1, "/Pièces/piece-2.pdf": 1, "/Pièces/piece-3.pdf": 1}
	if !equalMaps(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	if all, flagged := f.imap.Count(t, "INBOX", ProcessedKeyword); all != 3 || flagged != 3 {
		t.Errorf("server: %d messages, %d flagged", all, flagged)
	}
	if s := status(); s.Imported != 3 {
		t.Errorf("status %+v, want 3 imported", s)
	}
}

// zeros is n bytes of a repeating pattern, never in memory at once.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), z.n)
	for i := range p[:k] {
		p[i] = byte('A' + i%26)
	}
	z.n -= k
	return int(k), nil
}

// TestTooLargeAttachment: a mail with a 200 MB attachment over the upload
// limit is refused with a visible reason; its small attachment and the
// rest of the batch are imported, and every message is marked handled.
func TestTooLargeAttachment(t *testing.T) {
	ctx := context.Background()
	g := gen(t)
	f := newFixture(t, repo.Options{MaxUpload: 100 << 20}, repo.IntakeAccount{Allow: []string{"*"},
		Rules: []repo.IntakeRule{{Match: repo.MatchDefault, Folder: "/Reçus", KeepAttachments: true}}})
	f.imap.AppendMessage(t, "INBOX", simpleMessage(t, 1))
	f.imap.AppendMessage(t, "INBOX", dovecot.Message{From: "video@asso.fr", To: "asso@asso.fr", Subject: "Film de la fête", MessageID: "film@asso.fr",
		Files: []dovecot.File{
			{Name: "film-fete.mp4", Type: "video/mp4", Reader: &zeros{200 << 20}},
			{Name: "programme.pdf", Type: "application/pdf", Data: g(testdocs.PDF("programme de la fête"))},
		}})
	f.imap.AppendMessage(t, "INBOX", simpleMessage(t, 3))
	f.runOnce(t)

	got := versions(t, f.env, "/")
	want := map[string]int{"/Reçus/piece-1.pdf": 1, "/Reçus/programme.pdf": 1, "/Reçus/piece-3.pdf": 1}
	if !equalMaps(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	errs, err := f.env.Repo.Intake.Errors(ctx, f.env.Admin, f.acct.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 1 || errs[0].Subject != "Film de la fête" {
		t.Fatalf("errors %+v, want one about « Film de la fête »", errs)
	}
	if p := ParseProblem(errs[0].Reason); p.Code != "too_large" || p.Name != "film-fete.mp4" || p.Limit != 100<<20 {
		t.Errorf("reason %+v, want too_large for film-fete.mp4 with the limit", p)
	}
	if all, flagged := f.imap.Count(t, "INBOX", ProcessedKeyword); all != 3 || flagged != 3 {
		t.Errorf("server: %d messages, %d flagged", all, flagged)
	}
}

// TestPollingMoveAndTLS: a server without IDLE is polled on the intake's
// clock; "move" moves imported mail to another IMAP folder; STARTTLS and
// implicit TLS connect with the server's certificate checked (an unknown
// authority is refused, with the reason in the status).
func TestPollingMoveAndTLS(t *testing.T) {
	ctx := context.Background()
	srv := dovecot.StartWith(t, dovecot.Options{NoIdle: true, TLS: true})
	env := repotest.New(t, repo.Options{})
	save := func(name, security string, port int) repo.IntakeAccount {
		a, err := env.Repo.Intake.SaveAccount(ctx, env.Admin, repo.IntakeAccount{Name: name, Host: srv.Host, Port: port, Security: security,
			Login: srv.User, Password: srv.Password, Processed: "move", ProcessedMailbox: "Importés", Allow: []string{"*"}, Enabled: true,
			Rules: []repo.IntakeRule{{Match: repo.MatchDefault, Folder: "/Pièces", KeepAttachments: true}}})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := save("starttls", "starttls", srv.Port)
	srv.AppendMessage(t, "INBOX", simpleMessage(t, 1))

	clock := fakeclock.New(time.Unix(1_750_000_000, 0))
	in := New(Options{Repo: env.Repo, Logger: env.Log, TempDir: t.TempDir(), Clock: clock, Poll: time.Hour, Retry: time.Minute,
		TLSConfig: &tls.Config{RootCAs: srv.CA}})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- in.Run(runCtx) }()
	defer func() { stop(); <-done }()
	have := func(i int) bool { return versions(t, env, "/")[fmt.Sprintf("/Pièces/piece-%d.pdf", i)] == 1 }
	waitFor(t, "the first message over STARTTLS", func() bool { return have(1) })
	st, _ := env.Repo.Intake.Account(ctx, env.Admin, a.ID)
	if st.Status.Idle || st.Status.LastError != "" {
		t.Errorf("status %+v: want polling (no IDLE) and no error", st.Status)
	}
	srv.AppendMessage(t, "INBOX", simpleMessage(t, 2))
	time.Sleep(300 * time.Millisecond) // a wrong early read would show here
	if have(2) {
		t.Fatalf("read before the poll period")
	}
	clock.Advance(time.Hour)
	waitFor(t, "the second message after the poll period", func() bool { return have(2) })
	if all, _ := srv.Count(t, "INBOX", ""); all != 0 {
		t.Errorf("INBOX still holds %d messages", all)
	}
	if all, _ := srv.Count(t, "Importés", ""); all != 2 {
		t.Errorf("Importés holds %d messages, want 2", all)
	}

	// Implicit TLS, once with the authority, once without.
	srv.AppendMessage(t, "INBOX", simpleMessage(t, 3))
	b := save("tls", "tls", srv.TLSPort)
	stop()
	<-done
	go func() { done <- nil }() // for the deferred receive
	untrusting := New(Options{Repo: env.Repo, Logger: env.Log, TempDir: t.TempDir()})
	if err := untrusting.RunOnce(ctx, env.Admin, b.ID); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("an unknown authority: %v, want a certificate error", err)
	}
	st, _ = env.Repo.Intake.Account(ctx, env.Admin, b.ID)
	if !strings.Contains(st.Status.LastError, "certificate") {
		t.Errorf("status %+v: want the certificate error", st.Status)
	}
	if err := in.RunOnce(ctx, env.Admin, b.ID); err != nil {
		t.Fatal(err)
	}
	if !have(3) {
		t.Errorf("the third message was not imported over TLS")
	}
}

// TestCrashPoints stops a round at each point between creating a file and
// marking its message on the server, as a crash would, then runs again:
// every attachment exists once, with one version, and every message ends
// up recorded once and flagged.
func TestCrashPoints(t *testing.T) {
	ctx := context.Background()
	g := gen(t)
	f := newFixture(t, repo.Options{}, repo.IntakeAccount{Allow: []string{"asso.fr"},
		Rules: []repo.IntakeRule{{Match: repo.MatchDefault, Folder: "/Pièces", KeepMail: true, KeepAttachments: true}}})
	for i := 1; i <= 3; i++ {
		m := simpleMessage(t, i)
		m.Files = append(m.Files, dovecot.File{Name: fmt.Sprintf("annexe-%d.odt", i), Type: "application/vnd.oasis.opendocument.text",
			Data: g(testdocs.ODT(fmt.Sprintf("annexe %d", i)))})
		f.imap.AppendMessage(t, "INBOX", m)
	}
	crash := errors.New("crash")
	// Each message has three files (two attachments and the .eml); stop
	// after file 1, after file 2, after file 3, after the record, … once
	// at each of the first ten stages, then run clean.
	for stop := 1; stop <= 10; stop++ {
		n := 0
		f.in = New(Options{Repo: f.env.Repo, Logger: f.env.Log, TempDir: t.TempDir(), crashAt: func(string) error {
			if n++; n == stop {
				return crash
			}
			return nil
		}})
		if err := f.in.RunOnce(ctx, f.env.Admin, f.acct.ID); !errors.Is(err, crash) && err != nil {
			t.Fatalf("stop %d: %v", stop, err)
		}
	}
	f.in = New(Options{Repo: f.env.Repo, Logger: f.env.Log, TempDir: t.TempDir()})
	f.runOnce(t)
	got := versions(t, f.env, "/")
	if len(got) != 9 {
		t.Errorf("%d files, want 9: %v", len(got), got)
	}
	for p, v := range got {
		if v != 1 || strings.Contains(p, " (") {
			t.Errorf("%s: %d versions (or a doubled name)", p, v)
		}
	}
	st, _ := f.env.Repo.Intake.Account(ctx, f.env.Admin, f.acct.ID)
	if st.Status.Imported != 3 {
		t.Errorf("status %+v, want 3 imported", st.Status)
	}
	if all, flagged := f.imap.Count(t, "INBOX", ProcessedKeyword); all != 3 || flagged != 3 {
		t.Errorf("server: %d messages, %d flagged", all, flagged)
	}
}
