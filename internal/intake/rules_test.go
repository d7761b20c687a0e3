package intake

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"notreasso/internal/repo"
	"notreasso/internal/testutil/dovecot"
	"notreasso/internal/testutil/repotest"
)

func TestDecide(t *testing.T) {
	a := repo.IntakeAccount{Allow: []string{"asso.fr", "mairie-lyon.fr", "banque@credit.example"}, Quarantine: "/Q", Rules: []repo.IntakeRule{
		{Match: repo.MatchRecipient, Value: "compta", Folder: "/Factures"},
		{Match: repo.MatchRecipient, Value: "bureau@asso.fr", Folder: "/Bureau"},
		{Match: repo.MatchSender, Value: "@mairie-lyon.fr", Folder: "/Subventions"},
		{Match: repo.MatchSubject, Value: "Électricité facture", Folder: "/Energie"},
	}}
	cases := []struct {
		name string
		h    Header
		want string
	}{
		{"plus address", Header{From: "x@asso.fr", Recipients: []string{"asso+compta@asso.fr"}}, "/Factures"},
		{"other plus tag", Header{From: "x@asso.fr", Recipients: []string{"asso+bureau@asso.fr"}}, FallbackRule.Folder},
		{"exact address", Header{From: "x@asso.fr", Recipients: []string{"autre@asso.fr", "bureau@asso.fr"}}, "/Bureau"},
		{"sender domain", Header{From: "subventions@mairie-lyon.fr"}, "/Subventions"},
		{"sender subdomain", Header{From: "a@services.mairie-lyon.fr"}, "/Subventions"},
		{"first match wins", Header{From: "subventions@mairie-lyon.fr", Recipients: []string{"asso+compta@asso.fr"}}, "/Factures"},
		{"subject words, any case and accents", Header{From: "x@asso.fr", Subject: "Votre FACTURE d'electricite"}, "/Energie"},
		{"subject missing a word", Header{From: "x@asso.fr", Subject: "Votre facture"}, FallbackRule.Folder},
		{"allowed address", Header{From: "banque@credit.example", Subject: "facture électricité"}, "/Energie"},
		{"unknown sender", Header{From: "spam@ailleurs.example", Recipients: []string{"asso+compta@asso.fr"}}, "/Q"},
		{"look-alike domain", Header{From: "x@fauxasso.fr"}, "/Q"},
	}
	for _, c := range cases {
		d := decide(a, c.h)
		if d.rule.Folder != c.want {
			t.Errorf("%s: %s, want %s", c.name, d.rule.Folder, c.want)
		}
		if (c.want == "/Q") != d.quarantine {
			t.Errorf("%s: quarantine %v", c.name, d.quarantine)
		}
	}
}

// TestNamesAndHeaders decodes what mail programs send: subjects and file
// names in ISO-8859-1 and UTF-8, RFC 2047 and RFC 2231.
func TestNamesAndHeaders(t *testing.T) {
	m := dovecot.Message{From: "Trésorière <tresoriere@asso.fr>", To: "asso+compta@asso.fr", Subject: "Reçu d'adhésion été", Latin1: true,
		MessageID: "recu@asso.fr", Files: []dovecot.File{
			{Name: "déclaration préfecture.pdf", Encoding: "rfc2231-latin1", Type: "application/pdf", Data: []byte("%PDF-1.4 a")},
			{Name: "procès-verbal « AG ».odt", Encoding: "rfc2231-utf8", Type: "application/vnd.oasis.opendocument.text", Data: []byte("odt")},
			{Name: "reçu n°3.pdf", Encoding: "rfc2047-latin1", Type: "application/pdf", Data: []byte("%PDF-1.4 b")},
			{Name: `..\..\C:\chemin/mal:venu?.pdf`, Type: "application/pdf", Data: []byte("%PDF-1.4 c")},
			{Type: "application/pdf", Data: []byte("%PDF-1.4 d")},
		}}
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	h, err := readHeader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if h.Subject != "Reçu d'adhésion été" || h.From != "tresoriere@asso.fr" || h.FromName != "Trésorière" || h.MessageID != "recu@asso.fr" {
		t.Errorf("header %+v", h)
	}
	if mailName(h) != "2025-03-14 Reçu d'adhésion été.eml" {
		t.Errorf("mail name %q", mailName(h))
	}
	var names []string
	err = walkAttachments(bytes.NewReader(buf.Bytes()), func(a Attachment) error {
		b, _ := io.ReadAll(a.Body)
		names = append(names, attachmentName(a)+"="+string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"déclaration préfecture.pdf=%PDF-1.4 a", "procès-verbal « AG ».odt=odt", "reçu n°3.pdf=%PDF-1.4 b",
		"mal_venu_.pdf=%PDF-1.4 c", "piece-jointe-5.pdf=%PDF-1.4 d"}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("attachments\n got %q\nwant %q", names, want)
	}
}

// TestAccountDoors: mail accounts, their messages and errors (which name
// quarantined mail) are for administrators; the ledger for the intake.
func TestAccountDoors(t *testing.T) {
	ctx := context.Background()
	env := repotest.New(t, repo.Options{})
	a, err := env.Repo.Intake.SaveAccount(ctx, env.Admin, repo.IntakeAccount{Name: "A", Host: "imap.example.org", Port: 993, Login: "x", Password: "secret",
		Rules: []repo.IntakeRule{{Match: repo.MatchDefault, Folder: "/Reçus", KeepAttachments: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Password != "" || !a.PasswordSet {
		t.Errorf("the password is returned: %+v", a)
	}
	for _, p := range []struct {
		name string
		f    func() error
	}{
		{"list", func() error { _, err := env.Repo.Intake.Accounts(ctx, env.Member); return err }},
		{"get", func() error { _, err := env.Repo.Intake.Account(ctx, env.Guest, a.ID); return err }},
		{"save", func() error { _, err := env.Repo.Intake.SaveAccount(ctx, env.Member, a); return err }},
		{"delete", func() error { return env.Repo.Intake.DeleteAccount(ctx, env.Member, a.ID) }},
		{"messages", func() error { _, err := env.Repo.Intake.Messages(ctx, env.Member, a.ID, 10); return err }},
		{"errors", func() error { _, err := env.Repo.Intake.Errors(ctx, env.Member, a.ID, 10); return err }},
		{"password (admin)", func() error { _, err := env.Repo.Intake.Password(ctx, env.Admin, a); return err }},
		{"ledger (admin)", func() error { return env.Repo.Intake.Record(ctx, env.Admin, repo.IntakeMessage{Key: "k"}) }},
		{"file (admin)", func() error {
			_, err := env.Repo.Intake.File(ctx, env.Admin, "/", "x.pdf", strings.NewReader("x"), repo.IntakeFileOptions{PartKey: "k#1"})
			return err
		}},
	} {
		if err := p.f(); !errors.Is(err, repo.ErrForbidden) {
			t.Errorf("%s: %v, want forbidden", p.name, err)
		}
	}
	for _, bad := range []repo.IntakeAccount{
		{Name: "B", Host: "h", Port: 0, Login: "x"},
		{Name: "B", Host: "h", Port: 993, Login: "x", Security: "ssl3"},
		{Name: "B", Host: "h", Port: 993, Login: "x", Processed: "move"},
		{Name: "B", Host: "h", Port: 993, Login: "x", Rules: []repo.IntakeRule{{Match: repo.MatchSubject, Folder: "/F", KeepMail: true}}},
		{Name: "B", Host: "h", Port: 993, Login: "x", Rules: []repo.IntakeRule{{Match: repo.MatchDefault, Folder: "/F"}}},
		{Name: "B", Host: "h", Port: 993, Login: "x", Rules: []repo.IntakeRule{{Match: repo.MatchDefault, Folder: "/a:b", KeepMail: true}}},
		{Name: "A", Host: "h", Port: 993, Login: "x"},
	} {
		if _, err := env.Repo.Intake.SaveAccount(ctx, env.Admin, bad); err == nil {
			t.Errorf("saved %+v", bad)
		}
	}
	// The ledger refuses a second file with the same part key, in the
	// transaction that would create it.
	sys := repo.IntakePrincipal("x@asso.fr")
	if err := env.Repo.Intake.Folder(ctx, sys, "/Reçus", false); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Repo.Intake.File(ctx, sys, "/Reçus", "a.pdf", strings.NewReader("un"), repo.IntakeFileOptions{PartKey: "m#1", Size: -1}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Repo.Intake.File(ctx, sys, "/Reçus", "a.pdf", strings.NewReader("un"), repo.IntakeFileOptions{PartKey: "m#1", Size: -1}); !errors.Is(err, repo.ErrAlreadyImported) {
		t.Errorf("second import of m#1: %v", err)
	}
	n, err := env.Repo.Intake.File(ctx, sys, "/Reçus", "a.pdf", strings.NewReader("deux"), repo.IntakeFileOptions{PartKey: "m#2", Size: -1})
	if err != nil || n.Path != "/Reçus/a (2).pdf" || n.MailFrom != "x@asso.fr" {
		t.Errorf("another file of the same name: %+v %v", n, err)
	}
}

// TestErrorsCollapse: the same failure reported again moves the newest
// error's time instead of adding a row; a different one adds a row.
func TestErrorsCollapse(t *testing.T) {
	ctx := context.Background()
	env := repotest.New(t, repo.Options{})
	a, err := env.Repo.Intake.SaveAccount(ctx, env.Admin, repo.IntakeAccount{Name: "A", Host: "imap.example.org", Port: 993, Login: "x"})
	if err != nil {
		t.Fatal(err)
	}
	down := Problem{Code: "connect", Detail: "connection refused"}.String()
	for _, r := range []repo.IntakeReport{{Error: down}, {Error: down}, {Error: down, Subject: "Facture"}, {Error: down}} {
		if err := env.Repo.Intake.ReportStatus(ctx, sys, a.ID, r); err != nil {
			t.Fatal(err)
		}
	}
	errs, err := env.Repo.Intake.Errors(ctx, env.Admin, a.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 3 {
		t.Errorf("%d errors, want 3 (two alike collapsed): %+v", len(errs), errs)
	}
}
