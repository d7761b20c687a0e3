package mail

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
	"notreasso/internal/repo"
	"notreasso/internal/testutil/fakeclock"
	"notreasso/internal/testutil/repotest"
	"notreasso/internal/testutil/smtpserver"
)

// digestEnv is a repository whose journal times come from clock, marie
// (a member, French) with an address, and the mail side over it.
type digestEnv struct {
	*repotest.Env
	clock   *fakeclock.Clock
	relay   *smtpserver.Server
	out     *Outbox
	sender  *Sender
	follows *Follows
	digests *Digests
	tokens  *Tokens
}

func newDigestEnv(t *testing.T) *digestEnv {
	t.Helper()
	relay := smtpserver.Start(t)
	// Sunday 22 February 2026, 09:00 local; weekly digests cover Monday
	// 07:00 to Monday 07:00.
	clock := fakeclock.New(time.Date(2026, 2, 22, 9, 0, 0, 0, time.Local))
	e := repotest.New(t, repo.Options{Now: clock.Now})
	ctx := context.Background()
	email, lang := "marie@example.org", "fr"
	if _, err := e.Auth.UpdateUser(ctx, 0, "marie", auth.UserChanges{Email: &email, Lang: &lang}); err != nil {
		t.Fatal(err)
	}
	cfg := relayConfig(relay)
	r, err := NewRenderer("https://docs.asso.example", "Les Amis du Canal")
	if err != nil {
		t.Fatal(err)
	}
	r.missing = func(lang, id string) { t.Errorf("message %s missing in %s", id, lang) }
	rel, err := NewRelay(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := &digestEnv{Env: e, clock: clock, relay: relay, tokens: NewTokens([]byte("test key"))}
	d.out = NewOutbox(e.DB, "docs.asso.example", clock)
	d.follows = NewFollows(e.DB, clock)
	m := NewMailer(d.out, r, d.tokens)
	d.digests = NewDigests(d.follows, m, e.Repo, e.Auth, cfg, slog.New(slog.DiscardHandler), clock)
	d.sender = NewSender(d.out, rel, cfg, slog.New(slog.DiscardHandler), clock)
	d.sender.Compose("digest", d.digests)
	return d
}

func (d *digestEnv) put(t *testing.T, path string) {
	t.Helper()
	if _, _, err := d.Repo.Tree.Put(context.Background(), d.Admin, path, strings.NewReader("contenu de "+path), repo.PutOptions{Size: -1}); err != nil {
		t.Fatalf("put %s: %v", path, err)
	}
}

func (d *digestEnv) mkdir(t *testing.T, path string) repo.Node {
	t.Helper()
	n, err := d.Repo.Tree.MkdirAll(context.Background(), d.Admin, path)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A weekly digest for marie lists exactly the week's changes in the
// folder she follows that she may read: a change in a restricted folder
// of the same period is absent (file and folder name), as are changes
// before the period, after it, and outside the folder. It is filtered
// again when sent: a document hidden from her between the queueing and
// the sending is not in it.
func TestDigestListsOnlyWhatTheReaderMayRead(t *testing.T) {
	ctx := context.Background()
	d := newDigestEnv(t)
	asso := d.mkdir(t, "Association")
	d.mkdir(t, "Association/Bureau")
	d.mkdir(t, "Association/AG")
	d.mkdir(t, "Ailleurs")
	if _, err := d.Repo.Tree.SetRestricted(ctx, d.Admin, "Association/Bureau", true); err != nil {
		t.Fatal(err)
	}
	if err := d.follows.Follow(ctx, d.Member.UserID, FollowFolder, strconv.FormatInt(asso.ID, 10)); err != nil {
		t.Fatal(err)
	}
	// paul, a guest with no grant, follows the whole repository: he may
	// read nothing, so he gets no digest.
	root, err := d.Repo.Tree.Stat(ctx, d.Admin, "/")
	if err != nil {
		t.Fatal(err)
	}
	pmail := "paul@example.org"
	if _, err := d.Auth.UpdateUser(ctx, 0, "paul", auth.UserChanges{Email: &pmail}); err != nil {
		t.Fatal(err)
	}
	if err := d.follows.Follow(ctx, d.Guest.UserID, FollowFolder, strconv.FormatInt(root.ID, 10)); err != nil {
		t.Fatal(err)
	}
	d.put(t, "Association/AG/avant.pdf") // Sunday 22 Feb, 09:00: before the period

	d.clock.Advance(48 * time.Hour) // Tuesday 24 Feb: inside the period (Mon 23 07:00 → Mon 2 Mar 07:00)
	for _, p := range []string{"Association/AG/pv-2026.pdf", "Association/AG/budget.ods", "Association/Bureau/salaires.ods",
		"Ailleurs/autre.txt", "Association/AG/R&D 'projets'.txt"} {
		d.put(t, p)
	}
	d.clock.Advance(6*24*time.Hour - 90*time.Minute) // Monday 2 Mar, 07:30
	d.put(t, "Association/AG/apres.pdf")             // after the period's end (07:00)

	n, err := d.digests.Queue(ctx)
	if err != nil || n != 1 {
		t.Fatalf("queued %d digests (%v), want 1", n, err)
	}
	if n, _ := d.digests.Queue(ctx); n != 0 {
		t.Fatalf("a second run queued %d more for the same period", n)
	}
	if sent, err := d.sender.Drain(ctx); sent != 1 || err != nil {
		t.Fatalf("sent %d (%v)", sent, err)
	}
	msgs := d.relay.To("marie@example.org")
	if len(msgs) != 1 || len(d.relay.To(pmail)) != 0 {
		t.Fatalf("marie got %d messages, paul %d", len(msgs), len(d.relay.To(pmail)))
	}
	m := msgs[0]
	for _, part := range []struct{ name, body string }{{"text", m.Text}, {"html", m.HTML}} {
		for _, want := range []string{"pv-2026.pdf", "budget.ods", "Les Amis du Canal", "https://docs.asso.example/browse/Association"} {
			if !strings.Contains(part.body, want) {
				t.Errorf("%s part lacks %q:\n%s", part.name, want, part.body)
			}
		}
		for _, absent := range []string{"salaires", "Bureau", "autre.txt", "Ailleurs", "avant.pdf", "apres.pdf"} {
			if strings.Contains(part.body, absent) {
				t.Errorf("%s part names %q, which marie may not read or is outside the period:\n%s", part.name, absent, part.body)
			}
		}
	}
	if strings.Contains(m.HTML, "R&D") || !strings.Contains(m.HTML, "R&amp;D &#39;projets&#39;") || !strings.Contains(m.Text, "R&D 'projets'") {
		t.Errorf("a file name is not escaped in the HTML part")
	}
	if !strings.Contains(m.Subject(), "3 changements") {
		t.Errorf("subject %q: want the French count of 3 changes", m.Subject())
	}
	lu := m.Header.Get("List-Unsubscribe")
	if !strings.HasPrefix(lu, "<https://docs.asso.example/mail/unsubscribe/") || m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("unsubscribe headers: %q / %q", lu, m.Header.Get("List-Unsubscribe-Post"))
	}
	tok := strings.TrimSuffix(strings.TrimPrefix(lu, "<https://docs.asso.example/mail/unsubscribe/"), ">")
	if uid, scope, err := d.tokens.Verify(tok); err != nil || uid != d.Member.UserID || scope != ScopeDigest {
		t.Errorf("unsubscribe token: %d %s %v", uid, scope, err)
	}

	// Next week: a change she may read is queued, then hidden from her
	// before the sender runs: the digest has nothing left and is not sent.
	d.clock.Advance(24 * time.Hour)
	d.put(t, "Association/AG/cachee.pdf")
	d.clock.Advance(6 * 24 * time.Hour)
	if n, err := d.digests.Queue(ctx); n != 1 || err != nil {
		t.Fatalf("second week queued %d (%v)", n, err)
	}
	if _, err := d.Repo.Tree.SetRestricted(ctx, d.Admin, "Association/AG", true); err != nil {
		t.Fatal(err)
	}
	// apres.pdf (07:30 last Monday) and cachee.pdf are both in AG now hidden.
	if sent, _ := d.sender.Drain(ctx); sent != 0 {
		t.Errorf("a digest was sent with only documents marie can no longer read:\n%s", d.relay.Messages()[len(d.relay.Messages())-1].Text)
	}
}

// Daily digests, tag follows, unsubscribing and a disabled account.
func TestDigestDailyTagAndUnsubscribe(t *testing.T) {
	ctx := context.Background()
	d := newDigestEnv(t)
	d.mkdir(t, "Docs")
	d.mkdir(t, "Secret")
	if _, err := d.Repo.Tree.SetRestricted(ctx, d.Admin, "Secret", true); err != nil {
		t.Fatal(err)
	}
	uid := d.Member.UserID
	if err := d.follows.SetPrefs(ctx, uid, Prefs{Digest: DigestDaily, NotifyShares: true, NotifyDrops: true}); err != nil {
		t.Fatal(err)
	}
	if err := d.follows.Follow(ctx, uid, FollowTag, "compta"); err != nil {
		t.Fatal(err)
	}
	d.clock.Advance(time.Hour) // Sunday 22 Feb, 10:00
	d.put(t, "Docs/facture.pdf")
	d.put(t, "Secret/facture-secrete.pdf")
	for _, p := range []string{"Docs/facture.pdf", "Secret/facture-secrete.pdf"} {
		if _, err := d.Repo.Tree.SetTags(ctx, d.Admin, p, []string{"compta"}); err != nil {
			t.Fatal(err)
		}
	}
	d.clock.Advance(22 * time.Hour) // Monday 08:00: the day to 07:00 is complete
	if n, err := d.digests.Queue(ctx); n != 1 || err != nil {
		t.Fatalf("queued %d (%v)", n, err)
	}
	d.sender.Drain(ctx)
	m := d.relay.To("marie@example.org")
	if len(m) != 1 || !strings.Contains(m[0].Text, "facture.pdf") || strings.Contains(m[0].Text, "secrete") || strings.Contains(m[0].Text, "Secret") {
		t.Fatalf("daily tag digest wrong: %d messages\n%v", len(m), m)
	}
	if !strings.Contains(m[0].Text, "Étiquette : #compta") {
		t.Errorf("the tag section is not titled:\n%s", m[0].Text)
	}

	// Unsubscribed: nothing the next day.
	if err := d.follows.Unsubscribe(ctx, uid, ScopeDigest); err != nil {
		t.Fatal(err)
	}
	d.put(t, "Docs/facture2.pdf")
	d.Repo.Tree.SetTags(ctx, d.Admin, "Docs/facture2.pdf", []string{"compta"})
	d.clock.Advance(24 * time.Hour)
	if n, _ := d.digests.Queue(ctx); n != 0 {
		t.Errorf("an unsubscribed person got a digest queued")
	}
	// Back on, but disabled: nothing either.
	d.follows.SetPrefs(ctx, uid, Prefs{Digest: DigestDaily})
	if err := d.Auth.SetDisabled(ctx, 0, "marie", true); err != nil {
		t.Fatal(err)
	}
	d.clock.Advance(24 * time.Hour)
	if n, _ := d.digests.Queue(ctx); n != 0 {
		t.Errorf("a disabled account got a digest queued")
	}
}

// Every notice renders in both languages with every word in the
// catalogues, in text and HTML, with links to the public URL.
func TestNoticesRenderInBothLanguages(t *testing.T) {
	r, err := NewRenderer("https://docs.asso.example/", "Les Amis du Canal")
	if err != nil {
		t.Fatal(err)
	}
	r.missing = func(lang, id string) { t.Errorf("message %s missing in %s", id, lang) }
	exp := time.Date(2026, 3, 5, 18, 30, 0, 0, time.Local)
	notices := []Notice{
		Invitation{By: "Admin", Login: "marie", Token: "tok", Expires: exp},
		PasswordReset{Login: "marie", Token: "tok", Expires: exp},
		EmailChange{Login: "marie", Token: "tok", Expires: exp},
		Shared{By: "paul", Path: "/Comptes/2026", Dir: true, Role: acl.Viewer.String()},
		Dropped{Folder: "/Dépôts", Names: []string{"scan.pdf", "R&D.pdf"}, Sender: "Jeanne", Link: "Dépôts"},
		Dropped{Folder: "/Dépôts", Names: []string{"scan.pdf"}, Link: "Dépôts"},
		TermEnding{Role: "Trésorier·e", Ends: exp, Key: "1"},
		TermEnding{Role: "Trésorier·e", Ends: exp, Holder: "Marie", Key: "1"},
		Test{By: "admin"},
	}
	for _, lang := range []string{"fr", "en"} {
		for _, n := range notices {
			kind, subj, _ := n.describe(Recipient{})
			out, err := r.render(lang, kind, subj, noticeData{To: Recipient{Name: "Marie", Email: "m@example.org"}, Notice: n, Link: "https://docs.asso.example/x"}, kind, "")
			if err != nil {
				t.Fatalf("%s %s: %v", lang, kind, err)
			}
			if out.Subject == "" || strings.Contains(out.Subject, "mail.") || !strings.Contains(out.Text, "https://docs.asso.example/x") ||
				!strings.Contains(out.HTML, `href="https://docs.asso.example/x"`) || !strings.Contains(out.HTML, `lang="`+lang+`"`) {
				t.Errorf("%s %s rendered badly:\n%s\n%s\n%s", lang, kind, out.Subject, out.Text, out.HTML)
			}
			if strings.Contains(out.Text, "&lt;") || strings.Contains(out.Text, "&#39;") {
				t.Errorf("%s %s: the text part is HTML-escaped:\n%s", lang, kind, out.Text)
			}
		}
	}
}

// The digest speaks the reader's language: English for an account set so.
func TestDigestInEnglish(t *testing.T) {
	ctx := context.Background()
	d := newDigestEnv(t)
	en := "en"
	if _, err := d.Auth.UpdateUser(ctx, 0, "marie", auth.UserChanges{Lang: &en}); err != nil {
		t.Fatal(err)
	}
	docs := d.mkdir(t, "Docs")
	if err := d.follows.Follow(ctx, d.Member.UserID, FollowFolder, strconv.FormatInt(docs.ID, 10)); err != nil {
		t.Fatal(err)
	}
	d.clock.Advance(48 * time.Hour)
	for i := range 2 {
		d.put(t, "Docs/minutes-"+strconv.Itoa(i)+".pdf")
	}
	d.clock.Advance(7 * 24 * time.Hour)
	if n, err := d.digests.Queue(ctx); n != 1 || err != nil {
		t.Fatalf("queued %d (%v)", n, err)
	}
	d.sender.Drain(ctx)
	m := d.relay.To("marie@example.org")
	if len(m) != 1 {
		t.Fatalf("%d digests", len(m))
	}
	for _, want := range []string{"Hello marie,", "Folder: /Docs", "added 2 files to /Docs", "minutes-1.pdf", "Unsubscribe: https://docs.asso.example/mail/unsubscribe/"} {
		if !strings.Contains(m[0].Text, want) {
			t.Errorf("English digest lacks %q:\n%s", want, m[0].Text)
		}
	}
	if s := m[0].Subject(); s != "Les Amis du Canal: 2 changes in what you follow" {
		t.Errorf("subject %q", s)
	}
	if !strings.Contains(m[0].HTML, `<html lang="en">`) {
		t.Error("the HTML part is not marked English")
	}
}
