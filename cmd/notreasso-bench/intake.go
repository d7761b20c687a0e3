package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"notreasso/indexer/extract/testdocs"
	"notreasso/internal/testutil/dovecot"
)

// intakeBench measures the mail intake: 1 000 messages, each with a PDF
// and an ODT attachment, waiting in a real Dovecot's INBOX; the time from
// the account's creation until every message is imported, and the
// server's peak RSS meanwhile.
func (b *bench) intakeBench(ctx context.Context) *section {
	const n = 1000
	s := &section{ID: "intake", Title: fmt.Sprintf("Mail intake: %d messages with two attachments each from a local Dovecot", n)}
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		s.Skipped = "dovecot not found (apt-get install dovecot-imapd)"
		return s
	}
	imap, err := dovecot.Launch(bin)
	if err != nil {
		s.Skipped = "failed: " + err.Error()
		return s
	}
	defer imap.Remove()
	// Messages: a PDF of a few pages and an ODT, about 10 KB in all.
	dir := filepath.Join(b.dir, "intake-mail")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.Skipped = "failed: " + err.Error()
		return s
	}
	start := time.Now()
	for i := range n {
		pdf, err := testdocs.PDF(fmt.Sprintf("Facture numéro %d du fournisseur d'électricité", i), "Conditions générales de vente.")
		if err != nil {
			s.Skipped = "failed: " + err.Error()
			return s
		}
		odt, err := testdocs.ODT(fmt.Sprintf("Compte rendu de la réunion %d du bureau", i))
		if err != nil {
			s.Skipped = "failed: " + err.Error()
			return s
		}
		m := dovecot.Message{From: "tresorier@asso.fr", To: "asso+compta@asso.fr", Subject: fmt.Sprintf("Facture %d", i),
			MessageID: fmt.Sprintf("bench-%d@asso.fr", i), Files: []dovecot.File{
				{Name: fmt.Sprintf("facture-%04d.pdf", i), Type: "application/pdf", Data: pdf},
				{Name: fmt.Sprintf("réunion-%04d.odt", i), Encoding: "rfc2231-utf8", Type: "application/vnd.oasis.opendocument.text", Data: odt},
			}}
		var buf bytes.Buffer
		if err := m.Write(&buf); err != nil {
			s.Skipped = "failed: " + err.Error()
			return s
		}
		p := filepath.Join(dir, "m.eml")
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			s.Skipped = "failed: " + err.Error()
			return s
		}
		if err := imap.AppendFile("INBOX", p); err != nil {
			s.Skipped = "failed: " + err.Error()
			return s
		}
	}
	s.note("The %d messages were appended in %s (not measured).", n, time.Since(start).Round(time.Second))

	srv, err := startNotreasso(ctx, b, "intake", filepath.Join(b.dir, "intake"), "NOTREASSO_LOG_LEVEL=warn")
	if err != nil {
		s.Skipped = "failed: " + err.Error()
		return s
	}
	defer srv.stop()
	account := map[string]any{"name": "bench", "host": imap.Host, "port": imap.Port, "security": "none", "login": imap.User,
		"password": imap.Password, "allow": []string{"asso.fr"}, "enabled": true,
		"rules": []map[string]any{{"match": "recipient", "value": "compta", "folder": "/Comptes/Factures", "tags": []string{"facture"}, "keep_attachments": true}}}
	body, _ := json.Marshal(account)
	var took time.Duration
	peak, err := srv.measured(func() error {
		t0 := time.Now()
		resp, err := request(ctx, "POST", srv.URL+"/api/v1/admin/intake", "admin", adminPassword, bytes.NewReader(body), int64(len(body)),
			map[string]string{"Content-Type": "application/json"}, 201)
		if err != nil {
			return err
		}
		var a struct {
			ID int64 `json:"id"`
		}
		json.NewDecoder(resp.Body).Decode(&a)
		resp.Body.Close()
		for {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			resp, err := request(ctx, "GET", fmt.Sprintf("%s/api/v1/admin/intake/%d", srv.URL, a.ID), "admin", adminPassword, nil, 0, nil, 200)
			if err != nil {
				return err
			}
			var st struct {
				Status struct {
					Imported  int    `json:"imported"`
					LastError string `json:"last_error"`
				} `json:"status"`
			}
			json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if st.Status.Imported >= n {
				took = time.Since(t0)
				return nil
			}
			if time.Since(t0) > 30*time.Minute {
				return fmt.Errorf("only %d of %d messages imported after 30 minutes (last error: %s)", st.Status.Imported, n, st.Status.LastError)
			}
			time.Sleep(pollInterval(time.Since(t0)))
		}
	})
	if err != nil {
		s.Skipped = "failed: " + err.Error()
		return s
	}
	s.add("messages imported per second", fmt.Sprintf("%.0f msg/s (%d messages, %d files in %s)", float64(n)/took.Seconds(), n, 2*n, took.Round(10*time.Millisecond)),
		"`POST /api/v1/admin/intake` of the account, then `GET /api/v1/admin/intake/ID` until `status.imported` is 1 000")
	s.add("server peak RSS while importing", mib(peak), "VmHWM of the server process, reset (clear_refs) before the account is created")
	s.note("Each message is fetched into a spool file, its attachments streamed into the repository one transaction each (with the ledger's row), then flagged on the server; the indexer extracts the files meanwhile.")
	return s
}
