package mail

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"notreasso/internal/config"
	"notreasso/internal/meta"
	"notreasso/internal/testutil/fakeclock"
	"notreasso/internal/testutil/smtpserver"
	"notreasso/internal/testutil/testdb"
)

// Two servers over one database: B's sender, paused after failing with
// no relay set, delivers as soon as A saves the relay (no restart, no
// wait for the pause); the password is kept by a save that leaves it
// empty and cleared on request; keys of the configuration win and are
// reported locked.
func TestRelaySavedOnOneServerAppliesOnAll(t *testing.T) {
	ctx := context.Background()
	relay := smtpserver.Start(t)
	dsn := testdb.DSN(t, t.TempDir())
	cfg := config.Default().Mail
	cfg.CAFile = relay.CAFile
	clock := fakeclock.New(time.Date(2026, 3, 2, 10, 0, 0, 0, time.Local))
	open := func(origins config.Origins, cfg config.Mail) (*meta.DB, *Relay, *Outbox, *Sender) {
		db, err := meta.Open(ctx, dsn, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		r, err := NewRelay(cfg)
		if err != nil {
			t.Fatal(err)
		}
		r.UseSaved(db, origins)
		out := NewOutbox(db, "asso.example.org", clock)
		return db, r, out, NewSender(out, r, cfg, slog.New(slog.DiscardHandler), clock)
	}
	_, relayA, _, _ := open(config.Origins{}, cfg)
	_, relayB, outB, senderB := open(config.Origins{}, cfg)

	enqueueN(t, outB, 1)
	if n, err := senderB.Drain(ctx); n != 0 || err == nil || Explain(err) != "not_configured" {
		t.Fatalf("no relay: sent %d, %v (%s)", n, err, Explain(err))
	}
	if !senderB.paused(ctx) {
		t.Fatal("B is not paused after the failure")
	}
	save := func(r *Relay, c RelayChange) {
		t.Helper()
		if err := r.Save(ctx, 0, clock.Now(), c); err != nil {
			t.Fatal(err)
		}
	}
	set := RelaySettings{Host: relay.Host, Port: relay.Port, Security: "starttls", Username: smtpserver.Login, From: "Asso <asso@example.org>"}
	save(relayA, RelayChange{RelaySettings: set, Password: smtpserver.Password})
	if senderB.paused(ctx) {
		t.Fatal("B still paused after A saved the relay")
	}
	if n, err := senderB.Drain(ctx); n != 1 || err != nil {
		t.Fatalf("B after A saved: sent %d, %v", n, err)
	}
	if m := relay.Wait(1, 30*time.Second)[0]; !m.TLS || !strings.Contains(m.Header.Get("From"), "asso@example.org") {
		t.Errorf("sent from %q, TLS %v", m.Header.Get("From"), m.TLS)
	}

	// A save without a password keeps it; clearing it makes the login fail.
	set.From = "Autre <autre@example.org>"
	save(relayB, RelayChange{RelaySettings: set})
	if v, _ := relayA.View(ctx); !v.HasPassword || v.From != set.From || len(v.Locked) != 0 {
		t.Errorf("after a save without password: %+v", v)
	}
	if err := relayA.Probe(ctx); err != nil {
		t.Errorf("probe with the kept password: %v", err)
	}
	save(relayA, RelayChange{RelaySettings: set, ClearPassword: true})
	if v, _ := relayB.View(ctx); v.HasPassword {
		t.Error("the password was not cleared")
	}
	if err := relayB.Probe(ctx); err == nil || Explain(err) != "auth" {
		t.Errorf("probe without a password: %v (%s), want an authentication failure", err, Explain(err))
	}
	save(relayA, RelayChange{RelaySettings: set, Password: "faux"})
	if err := relayB.Probe(ctx); err == nil || Explain(err) != "auth" {
		t.Errorf("probe with a wrong password: %v (%s), want an authentication failure", err, Explain(err))
	}

	// Bad values are refused, naming nothing secret, and change nothing.
	for _, bad := range []RelaySettings{
		{Host: "smtp example", Port: 587, Security: "starttls", From: "a@example.org"},
		{Host: relay.Host, Port: 0, Security: "starttls", From: "a@example.org"},
		{Host: relay.Host, Port: 587, Security: "ssl", From: "a@example.org"},
		{Host: relay.Host, Port: 587, Security: "starttls", From: "pas une adresse"},
	} {
		if err := relayA.Save(ctx, 0, clock.Now(), RelayChange{RelaySettings: bad, Password: "secret-xyz"}); err == nil || strings.Contains(err.Error(), "secret-xyz") {
			t.Errorf("%+v: %v, want a refusal without the password", bad, err)
		}
	}
	if v, _ := relayA.View(ctx); v.From != set.From || v.Port != relay.Port {
		t.Errorf("a refused save changed the settings: %+v", v)
	}

	// The configuration's sender and password win, and show as locked.
	fileCfg := cfg
	fileCfg.From, fileCfg.Password = "Fichier <fichier@example.org>", smtpserver.Password
	_, relayC, _, _ := open(config.Origins{"mail.from": "/etc/notreasso.yaml", "mail.password": "NOTREASSO_MAIL_PASSWORD"}, fileCfg)
	v, err := relayC.View(ctx)
	if err != nil || v.From != fileCfg.From || v.Locked["from"] != "/etc/notreasso.yaml" || v.Locked["password"] != "NOTREASSO_MAIL_PASSWORD" ||
		v.Locked["host"] != "" || v.Host != relay.Host || !v.HasPassword {
		t.Errorf("locked view: %+v %v", v, err)
	}
	if err := relayC.Probe(ctx); err != nil {
		t.Errorf("probe with the environment's password: %v", err)
	}
}
