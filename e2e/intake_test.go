package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"notreasso/indexer/extract/testdocs"
	"notreasso/internal/intake"
	"notreasso/internal/testutil/dovecot"
	"notreasso/internal/testutil/server"
)

// fileJSON is what /api/v1/stat and /list say of a file.
type intakeFile struct {
	Path     string   `json:"path"`
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Version  int      `json:"version"`
	Tags     []string `json:"tags"`
	MailFrom string   `json:"mail_from"`
	Modified string   `json:"modified"`
}

// listAll lists every file below path, as c sees it.
func listAll(t *testing.T, c *client, path string) map[string]intakeFile {
	t.Helper()
	out := map[string]intakeFile{}
	var walk func(string)
	walk = func(p string) {
		var r struct {
			Children []intakeFile `json:"children"`
		}
		if st := c.call("GET", "/api/v1/list/"+escapePath(p), nil, &r); st != 200 {
			t.Fatalf("list %s: %d", p, st)
		}
		for _, k := range r.Children {
			if k.Type == "dir" {
				walk(k.Path)
			} else {
				out[k.Path] = k
			}
		}
	}
	walk(path)
	return out
}

// intakeAccount creates a mailbox through the API and returns its id.
func intakeAccount(t *testing.T, c *client, imap *dovecot.Server, rules []map[string]any, allow string) int64 {
	t.Helper()
	var a struct {
		ID int64 `json:"id"`
	}
	st := c.call("POST", "/api/v1/admin/intake", map[string]any{"name": "Documents", "host": imap.Host, "port": imap.Port, "security": "none",
		"login": imap.User, "password": imap.Password, "mailbox": "INBOX", "processed": "flag", "allow": []string{allow}, "rules": rules, "enabled": true}, &a)
	if st != 201 || a.ID == 0 {
		t.Fatalf("create the mail account: %d", st)
	}
	return a.ID
}

type intakeStatus struct {
	Status struct {
		Imported    int    `json:"imported"`
		Quarantined int    `json:"quarantined"`
		LastError   string `json:"last_error"`
	} `json:"status"`
	Messages []struct {
		Subject string `json:"subject"`
		State   string `json:"state"`
	} `json:"messages"`
}

func waitUntil(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestIntakeEndToEnd: the real server reads a real Dovecot. PDF, DOCX and
// ODT attachments land in the folders their rules name, with their tags,
// the sender as author, and are found by search; a French subject in
// ISO-8859-1 comes out right in the admin page; mail from an unknown
// sender lands in quarantine, whose names a member never sees (listing,
// search, the intake's pages and API); /metrics counts the messages.
func TestIntakeEndToEnd(t *testing.T) {
	imap := dovecot.Start(t)
	srv := server.Start(t, server.Options{Env: []string{"NOTREASSO_INTAKE_RETRY=200ms"}})
	c := admin(t, srv)
	g := gen(t)
	c.call("POST", "/api/v1/admin/users", map[string]any{"login": "marie", "password": "marie-password-123", "role": "member"}, nil)
	c.call("POST", "/api/v1/grants", map[string]any{"principal": "members", "role": "editor"}, nil)
	marie := newClient(t, srv, "marie", "marie-password-123")

	msgs := []dovecot.Message{
		{From: "tresorier@asso.fr", To: "asso+compta@asso.fr", Subject: "Facture", MessageID: "e2e-facture@asso.fr",
			Files: []dovecot.File{{Name: "facture-gaz.pdf", Type: "application/pdf", Data: g(testdocs.PDF("Facture du fournisseur de gaz naturel"))}}},
		{From: "Mairie <subventions@mairie-lyon.fr>", To: "asso@asso.fr", Subject: "Décision d'attribution", Latin1: true, MessageID: "e2e-decision@mairie-lyon.fr",
			Files: []dovecot.File{{Name: "décision.docx", Encoding: "rfc2231-latin1", Type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
				Data: g(testdocs.DOCX("subvention municipale pour le festival"))}}},
		{From: "presidente@asso.fr", To: "asso@asso.fr", Subject: "Procès-verbal", MessageID: "e2e-pv@asso.fr",
			Files: []dovecot.File{{Name: "procès-verbal.odt", Encoding: "rfc2231-utf8", Type: "application/vnd.oasis.opendocument.text",
				Data: g(testdocs.ODT("conseil d'administration extraordinaire"))}}},
		{From: "Loterie <gagnant@arnaque.example>", To: "asso@asso.fr", Subject: "Virement confidentiel", MessageID: "e2e-spam@arnaque.example",
			Files: []dovecot.File{{Name: "coordonnees-bancaires-secretes.pdf", Type: "application/pdf", Data: g(testdocs.PDF("héritage inespéré du prince"))}}},
	}
	for _, m := range msgs {
		imap.AppendMessage(t, "INBOX", m)
	}
	id := intakeAccount(t, c, imap, []map[string]any{
		{"match": "recipient", "value": "compta", "folder": "/Comptes 2025/Factures", "tags": []string{"facture"}, "keep_attachments": true},
		{"match": "sender", "value": "mairie-lyon.fr", "folder": "/Subventions", "tags": []string{"subvention"}, "keep_attachments": true},
		{"match": "subject", "value": "proces verbal", "folder": "/Conseil", "tags": []string{"pv"}, "keep_attachments": true},
	}, "asso.fr mairie-lyon.fr")

	var st intakeStatus
	waitUntil(t, "four messages handled", 60*time.Second, func() bool {
		c.call("GET", fmt.Sprintf("/api/v1/admin/intake/%d", id), nil, &st)
		return st.Status.Imported == 3 && st.Status.Quarantined == 1
	})
	files := listAll(t, c, "/")
	want := map[string]string{
		"/Comptes 2025/Factures/facture-gaz.pdf":                       "facture",
		"/Subventions/décision.docx":                                   "subvention",
		"/Conseil/procès-verbal.odt":                                   "pv",
		"/Courriels en quarantaine/coordonnees-bancaires-secretes.pdf": "",
	}
	for path, tag := range want {
		f, ok := files[path]
		switch {
		case !ok:
			t.Errorf("%s missing; files %v", path, files)
		case f.Version != 1 || f.MailFrom == "" || !strings.HasPrefix(f.Modified, "2025-03-14T09:30:00"):
			t.Errorf("%s: %+v, want one version, a sender and the mail's date", path, f)
		case tag != "" && (len(f.Tags) != 1 || f.Tags[0] != tag):
			t.Errorf("%s: tags %v, want %s", path, f.Tags, tag)
		}
	}
	// Found by search, by what the documents say.
	waitFound(t, c, "fournisseur de gaz", "/Comptes 2025/Factures/facture-gaz.pdf")
	waitFound(t, c, "subvention municipale festival", "/Subventions/décision.docx")
	waitFound(t, c, "conseil extraordinaire", "/Conseil/procès-verbal.odt")
	waitFound(t, c, "héritage prince", "/Courriels en quarantaine/coordonnees-bancaires-secretes.pdf")

	// The admin page shows the Latin-1 subject decoded and the quarantine.
	b := newBrowser(t, srv)
	if st := b.login("admin", server.AdminPassword); st != 200 && st != 303 {
		t.Fatalf("login: %d", st)
	}
	code, page, _ := b.do("GET", "/admin/intake", nil, nil)
	if code != 200 || !strings.Contains(page, `id="intake-form"`) || !strings.Contains(page, "Documents") {
		t.Errorf("admin intake list: %d, want the account and the form:\n%s", code, page)
	}
	code, page, _ = b.do("GET", fmt.Sprintf("/admin/intake/%d", id), nil, nil)
	if code != 200 || !strings.Contains(page, "Décision d&#39;attribution") || !strings.Contains(page, "En quarantaine") {
		t.Errorf("admin intake page: %d, want the decoded subject and the quarantine state:\n%s", code, page)
	}

	// A member: no quarantine anywhere.
	secret := []string{"quarantaine", "coordonnees-bancaires", "Virement confidentiel", "arnaque"}
	leaks := func(where, body string) {
		for _, s := range secret {
			if strings.Contains(strings.ToLower(body), strings.ToLower(s)) {
				t.Errorf("a member sees %q in %s", s, where)
			}
		}
	}
	for name, f := range listAll(t, marie, "/") {
		leaks("the listing", name+f.Path)
	}
	_, r := marie.search("héritage prince")
	leaks("search", fmt.Sprint(r))
	for _, p := range []string{"/api/v1/admin/intake", fmt.Sprintf("/api/v1/admin/intake/%d", id), "/api/v1/activity", "/api/v1/tags"} {
		resp := marie.do("GET", p, nil, nil)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.HasPrefix(p, "/api/v1/admin") && resp.StatusCode != 403 {
			t.Errorf("%s: member got %d", p, resp.StatusCode)
		}
		leaks(p, string(body))
	}
	mb := newBrowser(t, srv)
	mb.login("marie", "marie-password-123")
	for _, p := range []string{"/admin/intake", fmt.Sprintf("/admin/intake/%d", id), "/browse/", "/activity", "/search?q=h%C3%A9ritage+prince"} {
		_, body, _ := mb.do("GET", p, nil, map[string]string{"Accept": "text/html"})
		leaks(p, body)
	}

	// /metrics counts the messages.
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, line := range []string{`notreasso_intake_messages_total{outcome="imported"} 3`, `notreasso_intake_messages_total{outcome="quarantined"} 1`} {
		if !strings.Contains(string(m), line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
	if all, flagged := imap.Count(t, "INBOX", intake.ProcessedKeyword); all != 4 || flagged != 4 {
		t.Errorf("server: %d messages, %d flagged", all, flagged)
	}
}

// TestIntakeKillDuringBatch: the server killed with SIGKILL in the middle
// of a batch of messages, then restarted: every message is imported
// exactly once (one file per attachment, one version each, no « (2) »
// copy), and all are flagged on the IMAP server.
func TestIntakeKillDuringBatch(t *testing.T) {
	imap := dovecot.Start(t)
	const n = 120
	dir := t.TempDir()
	for i := range n {
		m := dovecot.Message{From: "tresorier@asso.fr", To: "asso@asso.fr", Subject: fmt.Sprintf("Lot %d", i), MessageID: fmt.Sprintf("lot-%d@asso.fr", i),
			Files: []dovecot.File{
				{Name: fmt.Sprintf("piece-%03d-a.pdf", i), Type: "application/pdf", Data: []byte(fmt.Sprintf("%%PDF-1.4 pièce %d a", i))},
				{Name: fmt.Sprintf("piece-%03d-b.pdf", i), Type: "application/pdf", Data: []byte(fmt.Sprintf("%%PDF-1.4 pièce %d b", i))},
			}}
		imap.Append(t, "INBOX", m.File(t, dir))
	}
	srv := server.Start(t, server.Options{Env: []string{"NOTREASSO_INTAKE_RETRY=200ms"}})
	c := admin(t, srv)
	id := intakeAccount(t, c, imap, []map[string]any{{"match": "default", "folder": "/Lot", "keep_attachments": true}}, "asso.fr")
	count := func() int {
		var r struct {
			Children []intakeFile `json:"children"`
		}
		c.call("GET", "/api/v1/list/Lot", nil, &r)
		return len(r.Children)
	}
	waitUntil(t, "the batch to start", 60*time.Second, func() bool { return count() >= 10 })
	srv.Kill()
	// What the ledger holds at the crash, read by the CLI while no server runs.
	out, err := srv.Run(context.Background(), nil, "intake", "list", "--json")
	if err != nil {
		t.Fatalf("intake list: %v\n%s", err, out)
	}
	var listed []intakeStatus
	start, end := strings.Index(out, "[\n"), strings.LastIndex(out, "]") // log lines around the JSON
	if start < 0 || end < start {
		t.Fatalf("intake list printed no JSON:\n%s", out)
	}
	if err := json.Unmarshal([]byte(out[start:end+1]), &listed); err != nil || len(listed) != 1 {
		t.Fatalf("intake list: %v\n%s", err, out)
	}
	before := listed[0].Status.Imported
	if before >= n {
		t.Fatalf("the batch ended before the kill (%d messages): the test proves nothing", before)
	}
	c2 := admin(t, srv)
	srv.Restart()
	var st intakeStatus
	waitUntil(t, "the whole batch", 120*time.Second, func() bool {
		c2.call("GET", fmt.Sprintf("/api/v1/admin/intake/%d", id), nil, &st)
		return st.Status.Imported == n
	})
	files := listAll(t, c2, "/Lot")
	if len(files) != 2*n {
		t.Errorf("%d files after the restart, want %d", len(files), 2*n)
	}
	for i := range n {
		for _, s := range []string{"a", "b"} {
			p := fmt.Sprintf("/Lot/piece-%03d-%s.pdf", i, s)
			if f, ok := files[p]; !ok || f.Version != 1 {
				t.Errorf("%s: %+v (present %v), want one version", p, f, ok)
			}
		}
	}
	for p := range files {
		if strings.Contains(p, " (") {
			t.Errorf("a doubled import: %s", p)
		}
	}
	if all, flagged := imap.Count(t, "INBOX", intake.ProcessedKeyword); all != n || flagged != n {
		t.Errorf("server: %d messages, %d flagged; want %d", all, flagged, n)
	}
	t.Logf("killed after %d of %d messages", before, n)
}

// TestIntakeCLI: a mailbox set up and read from the command line, its
// password given on standard input, then read from a file instead.
func TestIntakeCLI(t *testing.T) {
	imap := dovecot.Start(t)
	srv := server.Start(t, server.Options{})
	srv.Stop()
	ctx := context.Background()
	run := func(stdin string, args ...string) string {
		t.Helper()
		out, err := srv.Run(ctx, strings.NewReader(stdin), args...)
		if err != nil {
			t.Fatalf("notreasso %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	port := fmt.Sprint(imap.Port)
	run(imap.Password+"\n", "intake", "set", "asso", "--host", imap.Host, "--port", port, "--security", "none", "--login", imap.User,
		"--password-stdin", "--allow", "asso.fr")
	run("", "intake", "rule", "asso", "--match", "subject", "--value", "pièce", "--folder", "/Par la ligne de commande", "--tags", "cli")
	imap.AppendMessage(t, "INBOX", dovecot.Message{From: "tresorier@asso.fr", To: "asso@asso.fr", Subject: "Pièce 1", MessageID: "cli-1@asso.fr",
		Files: []dovecot.File{{Name: "piece-1.pdf", Type: "application/pdf", Data: []byte("%PDF-1.4 un")}}})
	if out := run("", "intake", "run", "asso"); !strings.Contains(out, "1 imported") {
		t.Errorf("intake run: %s", out)
	}
	// The password from a file; a wrong one fails with the reason.
	pw := t.TempDir() + "/imap-password"
	if err := os.WriteFile(pw, []byte("pas le bon\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run("", "intake", "set", "asso", "--password-file", pw)
	imap.AppendMessage(t, "INBOX", dovecot.Message{From: "tresorier@asso.fr", To: "asso@asso.fr", Subject: "Pièce 2", MessageID: "cli-2@asso.fr",
		Files: []dovecot.File{{Name: "piece-2.pdf", Type: "application/pdf", Data: []byte("%PDF-1.4 deux")}}})
	if out, err := srv.Run(ctx, nil, "intake", "run", "asso"); err == nil || !strings.Contains(out, "log in") {
		t.Errorf("a wrong password: %v\n%s", err, out)
	}
	os.WriteFile(pw, []byte(imap.Password+"\n"), 0o600)
	if out := run("", "intake", "run", "asso"); !strings.Contains(out, "2 imported") {
		t.Errorf("intake run with the password file: %s", out)
	}
	if out := run("", "intake", "list"); !strings.Contains(out, "/Par la ligne de commande") || !strings.Contains(out, "asso") {
		t.Errorf("intake list: %s", out)
	}
	srv.Restart()
	files := listAll(t, admin(t, srv), "/Par la ligne de commande")
	if len(files) != 2 {
		t.Errorf("files %v, want the two pieces", files)
	}
}
