package intake

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"notreasso/indexer/extract/testdocs"
	"notreasso/internal/acl"
	"notreasso/internal/repo"
	"notreasso/internal/testutil/dovecot"
	"notreasso/internal/testutil/repotest"
)

// fixture is a repository, a real Dovecot and an intake reading it.
type fixture struct {
	env  *repotest.Env
	imap *dovecot.Server
	in   *Intake
	acct repo.IntakeAccount
}

func newFixture(t *testing.T, o repo.Options, a repo.IntakeAccount) *fixture {
	t.Helper()
	srv := dovecot.Start(t)
	env := repotest.New(t, o)
	a.Name, a.Host, a.Port, a.Security, a.Login, a.Password = "Boîte de l'asso", srv.Host, srv.Port, "none", srv.User, srv.Password
	a.Enabled = true
	acct, err := env.Repo.Intake.SaveAccount(context.Background(), env.Admin, a)
	if err != nil {
		t.Fatal(err)
	}
	in := New(Options{Repo: env.Repo, Logger: env.Log, TempDir: t.TempDir()})
	return &fixture{env: env, imap: srv, in: in, acct: acct}
}

func (f *fixture) runOnce(t *testing.T) {
	t.Helper()
	if err := f.in.RunOnce(context.Background(), f.env.Admin, f.acct.ID); err != nil {
		t.Fatal(err)
	}
}

// versions counts the versions of every file below path, by path.
func versions(t *testing.T, env *repotest.Env, path string) map[string]int {
	t.Helper()
	out := map[string]int{}
	var walk func(string)
	walk = func(p string) {
		_, kids, err := env.Repo.Tree.List(context.Background(), env.Admin, p)
		if err != nil {
			t.Fatalf("list %s: %v", p, err)
		}
		for _, k := range kids {
			if k.Dir {
				walk(k.Path)
				continue
			}
			out[k.Path] = k.Version
		}
	}
	walk(path)
	return out
}

func gen(t *testing.T) func([]byte, error) []byte {
	return func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

var mailDate = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)

// TestRulesFoldersTagsAndNames: attachments in PDF, DOCX and ODT land in
// the folders their rules name (plus-addressed recipient, sender domain,
// subject words, default), with the rules' tags, the mail's date and the
// sender as author; French subjects and file names in ISO-8859-1 and
// UTF-8 (RFC 2047 and RFC 2231) come out right; a second pass, the same
// mail in another mailbox, imports nothing twice; the server's messages
// are flagged.
func TestRulesFoldersTagsAndNames(t *testing.T) {
	ctx := context.Background()
	g := gen(t)
	f := newFixture(t, repo.Options{}, repo.IntakeAccount{
		Allow: []string{"mairie-lyon.fr tresorier@asso.fr presidente@asso.fr banque.fr"},
		Rules: []repo.IntakeRule{
			{Match: repo.MatchRecipient, Value: "compta", Folder: "/Comptes 2025/Factures", Tags: []string{"facture", "compta"}, KeepAttachments: true},
			{Match: repo.MatchSender, Value: "@mairie-lyon.fr", Folder: "/Subventions", Tags: []string{"subvention"}, KeepMail: true, KeepAttachments: true},
			{Match: repo.MatchSubject, Value: "proces-verbal", Folder: "/Conseil/PV", Tags: []string{"pv"}, KeepAttachments: true},
			{Match: repo.MatchDefault, Folder: "/Courriels reçus", KeepMail: true},
		}})
	msgs := []dovecot.Message{
		{From: "Trésorier <tresorier@asso.fr>", To: "asso+compta@asso.fr", Subject: "Facture EDF mars", MessageID: "facture-edf@asso.fr",
			Files: []dovecot.File{{Name: "facture-edf.pdf", Type: "application/pdf", Data: g(testdocs.PDF("Facture d'électricité du local associatif"))}}},
		{From: "Mairie de Lyon <subventions@mairie-lyon.fr>", To: "asso@asso.fr", Subject: "Décision d'attribution : subvention été 2025", Latin1: true,
			MessageID: "decision-2025@mairie-lyon.fr",
			Files: []dovecot.File{{Name: "décision été.docx", Encoding: "rfc2231-latin1", Type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
				Data: g(testdocs.DOCX("attribution d'une subvention de fonctionnement"))}}},
		{From: "presidente@asso.fr", To: "asso@asso.fr", Subject: "Procès-verbal de l'AG", MessageID: "pv-ag@asso.fr",
			Files: []dovecot.File{{Name: "procès-verbal AG « 2025 ».odt", Encoding: "rfc2231-utf8", Type: "application/vnd.oasis.opendocument.text",
				Data: g(testdocs.ODT("assemblée générale ordinaire approuvée"))}}},
		{From: "tresorier@asso.fr", To: "asso+compta@asso.fr", Subject: "Reçu", MessageID: "recu-12@asso.fr",
			Files: []dovecot.File{{Name: "reçu n°12.pdf", Encoding: "rfc2047-latin1", Type: "application/pdf", Data: g(testdocs.PDF("Reçu de cotisation"))}}},
		{From: "Banque <releves@banque.fr>", To: "asso@asso.fr", Subject: "Votre relevé est disponible", Body: "Bonjour, votre relevé de mars est en ligne."},
	}
	for _, m := range msgs {
		m.Date = mailDate
		f.imap.AppendMessage(t, "INBOX", m)
	}
	f.runOnce(t)

	want := map[string][]string{
		"/Comptes 2025/Factures/facture-edf.pdf":                                   {"compta", "facture"},
		"/Comptes 2025/Factures/reçu n°12.pdf":                                     {"compta", "facture"},
		"/Subventions/décision été.docx":                                           {"subvention"},
		"/Subventions/2025-03-14 Décision d'attribution _ subvention été 2025.eml": {"subvention"},
		"/Conseil/PV/procès-verbal AG « 2025 ».odt":                                {"pv"},
		"/Courriels reçus/2025-03-14 Votre relevé est disponible.eml":              nil,
	}
	got := versions(t, f.env, "/")
	for path, tags := range want {
		if got[path] != 1 {
			t.Errorf("%s: %d versions, want 1 (have %v)", path, got[path], got)
			continue
		}
		n, err := f.env.Repo.Tree.Stat(ctx, f.env.Admin, path)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(n.Tags, tags) {
			t.Errorf("%s: tags %v, want %v", path, n.Tags, tags)
		}
		if !n.ModTime.Equal(mailDate) {
			t.Errorf("%s: date %s, want the mail's %s", path, n.ModTime, mailDate)
		}
		if n.MailFrom == "" {
			t.Errorf("%s: no « reçu par e-mail de »", path)
		}
	}
	if len(got) != len(want) {
		t.Errorf("files %v, want exactly %v", got, want)
	}
	if n, _ := f.env.Repo.Tree.Stat(ctx, f.env.Admin, "/Subventions/décision été.docx"); n.MailFrom != "Mairie de Lyon <subventions@mairie-lyon.fr>" {
		t.Errorf("author %q", n.MailFrom)
	}
	all, flagged := f.imap.Count(t, "INBOX", ProcessedKeyword)
	if all != len(msgs) || flagged != len(msgs) {
		t.Errorf("server: %d messages, %d flagged; want all %d flagged", all, flagged, len(msgs))
	}

	// The same mail in another mailbox (copied by a filter): known by its
	// Message-ID, not imported again. A second pass over INBOX after the
	// flags are removed (a mail program cleared them) imports nothing.
	second, err := f.env.Repo.Intake.SaveAccount(ctx, f.env.Admin, repo.IntakeAccount{Name: "Archives", Host: f.imap.Host, Port: f.imap.Port,
		Security: "none", Login: f.imap.User, Password: f.imap.Password, Mailbox: "Archives", Allow: []string{"*"}, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	dup := msgs[0]
	dup.Date = mailDate
	f.imap.AppendMessage(t, "Archives", dup)
	if err := f.in.RunOnce(ctx, f.env.Admin, second.ID); err != nil {
		t.Fatal(err)
	}
	c := f.imap.Client(t)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.SeqSetNum(1, 2, 3, 4, 5), &imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: []imap.Flag{ProcessedKeyword}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	f.runOnce(t)
	if again := versions(t, f.env, "/"); !equalMaps(again, got) {
		t.Errorf("after the same mail again: %v, want %v", again, got)
	}
	st, err := f.env.Repo.Intake.Account(ctx, f.env.Admin, f.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status.Imported != int64(len(msgs)) || st.Status.LastPoll.IsZero() || st.Status.LastError != "" {
		t.Errorf("status %+v, want %d imported, a poll, no error", st.Status, len(msgs))
	}
}

func equalMaps(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestQuarantine: a message from a sender not on the allow-list lands in
// the quarantine folder, restricted: administrators see it, a member sees
// neither the folder nor its files' names (listing, tags, activity).
func TestQuarantine(t *testing.T) {
	ctx := context.Background()
	g := gen(t)
	f := newFixture(t, repo.Options{}, repo.IntakeAccount{Allow: []string{"asso.fr"},
		Rules: []repo.IntakeRule{{Match: repo.MatchDefault, Folder: "/Courriels reçus", Tags: []string{"courriel"}, KeepAttachments: true}}})
	if _, err := f.env.Repo.Access.Grant(ctx, f.env.Admin, "/", repo.Grantee{Kind: acl.KindMembers}, acl.Editor); err != nil {
		t.Fatal(err)
	}
	f.imap.AppendMessage(t, "INBOX", dovecot.Message{From: "Gagnant <loterie@arnaque.example>", To: "asso@asso.fr", Subject: "Vous avez gagné",
		MessageID: "gagne@arnaque.example", Files: []dovecot.File{{Name: "virement-secret.pdf", Type: "application/pdf", Data: g(testdocs.PDF("gagné"))}}})
	f.imap.AppendMessage(t, "INBOX", dovecot.Message{From: "tresorier@asso.fr", To: "asso@asso.fr", Subject: "Budget",
		MessageID: "budget@asso.fr", Files: []dovecot.File{{Name: "budget.pdf", Type: "application/pdf", Data: g(testdocs.PDF("budget prévisionnel"))}}})
	f.runOnce(t)

	q := repo.DefaultQuarantine
	got := versions(t, f.env, "/")
	if got[q+"/virement-secret.pdf"] != 1 || got["/Courriels reçus/budget.pdf"] != 1 {
		t.Fatalf("files %v", got)
	}
	if n, _ := f.env.Repo.Tree.Stat(ctx, f.env.Admin, q); !n.Restricted {
		t.Errorf("the quarantine folder is not restricted")
	}
	_, kids, err := f.env.Repo.Tree.List(ctx, f.env.Member, "/")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kids {
		if strings.Contains(k.Name, "quarantaine") {
			t.Errorf("a member sees %s", k.Path)
		}
	}
	if _, err := f.env.Repo.Tree.Stat(ctx, f.env.Member, q+"/virement-secret.pdf"); err == nil {
		t.Errorf("a member reads a quarantined file")
	}
	feed, err := f.env.Repo.Activity.Activity(ctx, f.env.Member, repo.FeedScope{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range feed {
		if strings.Contains(e.Path, "virement") || strings.Contains(e.Path, "quarantaine") {
			t.Errorf("a member's activity shows %q", e.Path)
		}
	}
	st, _ := f.env.Repo.Intake.Account(ctx, f.env.Admin, f.acct.ID)
	if st.Status.Quarantined != 1 || st.Status.Imported != 1 {
		t.Errorf("status %+v, want 1 quarantined and 1 imported", st.Status)
	}
	if _, err := f.env.Repo.Intake.Messages(ctx, f.env.Member, f.acct.ID, 10); err == nil {
		t.Errorf("a member lists the intake's messages (and the quarantined subjects)")
	}
}
