package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"notreasso/internal/testutil/browser"
	"notreasso/internal/testutil/server"
	"notreasso/internal/testutil/smtpserver"
)

// Outgoing mail through the real binary and a real SMTP relay on
// loopback (STARTTLS, login; the password read from a file): invitations,
// forgotten passwords, share notices with one-click unsubscribe, and the
// queue across an outage of the relay and a restart of the server.

// mailServer starts a relay and a server that sends through it.
func mailServer(t *testing.T, extra ...string) (*server.Server, *smtpserver.Server) {
	t.Helper()
	relay := smtpserver.Start(t)
	pw := filepath.Join(t.TempDir(), "smtp-password")
	if err := os.WriteFile(pw, []byte(smtpserver.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append([]string{
		"NOTREASSO_MAIL_HOST=" + relay.Host,
		"NOTREASSO_MAIL_PORT=" + strconv.Itoa(relay.Port),
		"NOTREASSO_MAIL_SECURITY=starttls",
		"NOTREASSO_MAIL_USERNAME=" + smtpserver.Login,
		"NOTREASSO_MAIL_PASSWORD_FILE=" + pw,
		"NOTREASSO_MAIL_CA_FILE=" + relay.CAFile,
		"NOTREASSO_MAIL_FROM=Les Amis du Canal <asso@canal.example>",
		"NOTREASSO_SITE_NAME=Les Amis du Canal",
	}, extra...)
	return server.Start(t, server.Options{Env: env}), relay
}

// sentinel grants a folder to someone with an address and waits for
// that notice: the queue is first in, first out, so anything queued
// before it has arrived by then. Absence is checked without sleeping.
func sentinel(t *testing.T, api *client, relay *smtpserver.Server, login, folder string) {
	t.Helper()
	n := len(relay.Messages())
	mustAPI(t, api, 201, "POST", "/api/v1/folders/"+folder, nil)
	mustAPI(t, api, 200, "POST", "/api/v1/grants/"+folder, map[string]any{"principal": "user:" + login, "role": "viewer"})
	for _, m := range relay.Wait(n+1, 30*time.Second)[n:] {
		if strings.Contains(m.Subject(), folder) {
			return
		}
	}
	t.Fatalf("the sentinel notice about %s did not arrive last", folder)
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+/(reset|account/email|mail/unsubscribe)/[A-Za-z0-9_.\-]+`)

// linkIn finds the action link of a message, and checks the HTML part
// carries the same one.
func linkIn(t *testing.T, m smtpserver.Message, kind string) string {
	t.Helper()
	for _, l := range linkRE.FindAllString(m.Text, -1) {
		if strings.Contains(l, "/"+kind+"/") {
			if !strings.Contains(m.HTML, `href="`+l+`"`) {
				t.Errorf("the HTML part lacks the link %s", l)
			}
			return l
		}
	}
	t.Fatalf("no /%s/ link in:\n%s", kind, m.Text)
	return ""
}

// The admin creates an account with an address and no password; the
// person receives the invitation (French, text and HTML, over TLS),
// chooses a password in the browser from the link, and logs in.
func TestMailInvitation(t *testing.T) {
	srv, relay := mailServer(t)
	u := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: srv.URL, shots: screenshotDir(t)}
	u.login("admin", server.AdminPassword)
	u.open("/admin", "#nu-login")
	u.b.Do("fill the new account", chromedp.SendKeys("#nu-login", "camille"), chromedp.SendKeys("#nu-name", "Camille Claudel"),
		chromedp.SendKeys("#nu-email", "camille@canal.example"))
	u.b.Navigates("create", chromedp.Submit("#nu-login"))
	u.clean("account created")
	if got := u.text(".flash.ok"); !strings.Contains(got, "invitation envoyée par e-mail") {
		t.Errorf("after creating: %q", got)
	}
	m := relay.Wait(1, 30*time.Second)[0]
	if len(m.To) != 1 || m.To[0] != "camille@canal.example" || !m.TLS {
		t.Fatalf("invitation to %v (TLS %v)", m.To, m.TLS)
	}
	if s := m.Subject(); !strings.Contains(s, "Les Amis du Canal") || !strings.Contains(s, "votre compte") {
		t.Errorf("subject %q", s)
	}
	if !strings.Contains(m.Text, "Camille Claudel") || !strings.Contains(m.Text, "camille") || m.Header.Get("List-Unsubscribe") != "" {
		t.Errorf("invitation text:\n%s", m.Text)
	}
	if !strings.Contains(m.Header.Get("From"), "asso@canal.example") {
		t.Errorf("From: %s", m.Header.Get("From"))
	}
	link := linkIn(t, m, "reset")
	if !strings.HasPrefix(link, srv.URL+"/reset/") {
		t.Fatalf("link %s is not on the server's public URL %s", link, srv.URL)
	}

	// The admin page shows the relay and the message, sent.
	u.open("/admin/mail", "#queue")
	if got := u.text("#mail-recent"); !strings.Contains(got, "camille@canal.example") || !strings.Contains(got, "envoyé le") {
		t.Errorf("admin mail page: %q", got)
	}
	if got := u.text("#relay-host"); got != relay.Addr() {
		t.Errorf("relay shown as %q", got)
	}
	u.screenshot("admin-mail")

	c := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: srv.URL, shots: u.shots}
	c.b.Do("open the invitation", chromedp.Navigate(link), chromedp.WaitVisible("#new"))
	c.clean("invitation page")
	const pw = "la vie au bord du canal"
	c.b.Do("choose", chromedp.SendKeys("#new", pw), chromedp.SendKeys("#again", pw))
	c.b.Navigates("save", chromedp.Click("#reset-submit"))
	c.b.Do("log in", chromedp.WaitVisible("#login"), chromedp.SendKeys("#login", "camille"), chromedp.SendKeys("#password", pw))
	c.b.Navigates("submit login", chromedp.Submit("#password"))
	c.open("/account", "#me-h")
	if got := c.text("#me-h"); got != "camille" {
		t.Fatalf("logged in as %q", got)
	}
	c.b.Do("the link again", chromedp.Navigate(link), chromedp.WaitVisible("#reset-invalid"))

	// The same through the API; an invitation without an address is refused.
	api := admin(t, srv)
	mustAPI(t, api, 400, "POST", "/api/v1/admin/users", map[string]any{"login": "sans-adresse", "invite": true})
	var out map[string]any
	if st := api.call("POST", "/api/v1/admin/users", map[string]any{"login": "dora", "email": "dora@canal.example", "lang": "en", "invite": true}, &out); st != 201 || out["invited"] != true || out["password"] != nil {
		t.Fatalf("API invitation: %d %v", st, out)
	}
	d := relay.Wait(2, 30*time.Second)[1]
	if d.To[0] != "dora@canal.example" || !strings.Contains(d.Subject(), "your account is waiting") {
		t.Errorf("API invitation (English): %v %s", d.To, d.Subject())
	}
	linkIn(t, d, "reset")
}

// « Mot de passe oublié ? »: the same answer for a known address and an
// unknown one; a mail only for the known one, and one per ten minutes;
// the link sets a new password once.
func TestMailForgottenPassword(t *testing.T) {
	srv, relay := mailServer(t)
	api := admin(t, srv)
	mustAPI(t, api, 201, "POST", "/api/v1/admin/users", map[string]any{"login": "jeanne", "password": userPassword, "role": "member",
		"display_name": "Jeanne Barret", "email": "jeanne@canal.example"})

	b := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: srv.URL, shots: screenshotDir(t)}
	ask := func(who string) string {
		b.open("/login", "#forgot-link")
		b.b.Navigates("forgot", chromedp.Click("#forgot-link"))
		b.b.Do("type", chromedp.WaitVisible("#who"), chromedp.SendKeys("#who", who))
		b.b.Navigates("ask", chromedp.Click("#forgot-submit"))
		b.clean("asked")
		return b.text("#forgot-sent")
	}
	b.open("/forgot", "#who")
	b.screenshot("forgot")
	unknown := ask("personne@canal.example")
	known := ask("Jeanne@Canal.example")
	if unknown == "" || unknown != known {
		t.Errorf("answers differ: unknown %q, known %q", unknown, known)
	}
	m := relay.Wait(1, 30*time.Second)[0]
	if m.To[0] != "jeanne@canal.example" {
		t.Fatalf("reset mail to %v", m.To)
	}
	ask("jeanne") // by login, a minute later: no second mail within ten minutes
	sentinel(t, api, relay, "jeanne", "Sentinelle")
	if n := len(relay.Messages()); n != 2 {
		t.Errorf("%d mails after asking twice and once for nobody (and the sentinel), want 2", n)
	}
	link := linkIn(t, m, "reset")
	const pw = "un tout nouveau secret"
	b.b.Do("open", chromedp.Navigate(link), chromedp.WaitVisible("#new"), chromedp.SendKeys("#new", pw), chromedp.SendKeys("#again", pw))
	b.b.Navigates("save", chromedp.Click("#reset-submit"))
	if st := newClient(t, srv, "jeanne", pw).call("GET", "/api/v1/me", nil, nil); st != 200 {
		t.Errorf("new password: %d", st)
	}
	if st := newClient(t, srv, "jeanne", userPassword).call("GET", "/api/v1/me", nil, nil); st != 401 {
		t.Errorf("old password still works: %d", st)
	}
	b.b.Do("the link again", chromedp.Navigate(link), chromedp.WaitVisible("#reset-invalid"))
}

// A share notice carries List-Unsubscribe (+ one-click POST): the
// unsubscribe page works without logging in, and so does the mail
// program's POST; afterwards no notice is sent.
func TestMailUnsubscribeWithoutLogin(t *testing.T) {
	srv, relay := mailServer(t)
	api := admin(t, srv)
	for _, l := range []string{"marie", "tom"} {
		mustAPI(t, api, 201, "POST", "/api/v1/admin/users", map[string]any{"login": l, "password": userPassword, "role": "guest",
			"email": l + "@canal.example"})
	}
	for _, f := range []string{"Bureau", "Comptes", "Archives"} {
		mustAPI(t, api, 201, "POST", "/api/v1/folders/"+f, nil)
	}
	mustAPI(t, api, 200, "POST", "/api/v1/grants/Bureau", map[string]any{"principal": "user:marie", "role": "viewer"})
	m := relay.Wait(1, 30*time.Second)[0]
	if !strings.Contains(m.Subject(), "Bureau") || !strings.Contains(m.Text, srv.URL+"/browse/Bureau") {
		t.Fatalf("share notice: %s\n%s", m.Subject(), m.Text)
	}
	lu := m.Header.Get("List-Unsubscribe")
	if m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.HasPrefix(lu, "<"+srv.URL+"/mail/unsubscribe/") {
		t.Fatalf("unsubscribe headers: %q", lu)
	}
	unsub := strings.Trim(lu, "<>")

	// A browser that never logged in: the page, one button, done.
	v := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: srv.URL, shots: screenshotDir(t)}
	v.b.Do("open the link", chromedp.Navigate(unsub), chromedp.WaitVisible("#unsub-submit"))
	v.clean("unsubscribe page")
	if got := v.text("main"); !strings.Contains(got, "marie") {
		t.Errorf("page: %q", got)
	}
	v.screenshot("unsubscribe")
	v.b.Navigates("unsubscribe", chromedp.Click("#unsub-submit"))
	if !strings.Contains(v.text("#unsub-done"), "C’est fait") {
		t.Errorf("after the button: %q", v.text("main"))
	}
	mustAPI(t, api, 200, "POST", "/api/v1/grants/Comptes", map[string]any{"principal": "user:marie", "role": "viewer"})

	// A forged token is refused; the mail program's one-click POST works.
	resp, err := http.Post(strings.Replace(unsub, "/unsubscribe/", "/unsubscribe/x", 1), "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("forged token: %d", resp.StatusCode)
	}
	resp, err = http.Post(unsub, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("one-click POST: %d", resp.StatusCode)
	}
	mustAPI(t, api, 200, "POST", "/api/v1/grants/Archives", map[string]any{"principal": "user:marie", "role": "viewer"})
	sentinel(t, api, relay, "tom", "Sentinelle")
	if n := len(relay.To("marie@canal.example")); n != 1 {
		t.Errorf("marie got %d messages after unsubscribing, want only the first", n)
	}

	// Marie logs in: « Suivre par e-mail » on a folder, then « Mon compte »
	// lists it, and shows the choices the links turned off.
	mu := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: srv.URL, shots: v.shots}
	mu.login("marie", userPassword)
	mu.open("/browse/Bureau", "#follow-btn")
	mu.b.Navigates("follow", chromedp.Click("#follow-btn"))
	mu.clean("followed")
	if !strings.Contains(mu.text("#follow-form"), "Vous suivez ceci") {
		t.Errorf("after following: %q", mu.text("#follow-form"))
	}
	mu.open("/account#mail", "#follow-list")
	if got := mu.text("#follow-list"); !strings.Contains(got, "/Bureau") {
		t.Errorf("follows: %q", got)
	}
	if browser.Eval[bool](mu.b, `document.querySelector('input[name=shares]').checked`) {
		t.Error("share notices still ticked after unsubscribing")
	}
	mu.b.Do("daily", chromedp.Click(`input[name=digest][value=daily]`))
	mu.b.Navigates("save", chromedp.Click("#save-mail-prefs"))
	if !browser.Eval[bool](mu.b, `document.querySelector('input[name=digest][value=daily]').checked`) {
		t.Error("daily digest not saved")
	}
	mu.b.Do("to the section", chromedp.Navigate(srv.URL+"/account#mail"), chromedp.WaitVisible("#follow-list"))
	mu.screenshot("account-mail")
}

// The relay is down when a notice is queued; the server is stopped and
// started again; the relay comes back: the notice arrives, once.
func TestMailQueueSurvivesOutageAndRestart(t *testing.T) {
	srv, relay := mailServer(t, "NOTREASSO_MAIL_RETRY_MIN=1s", "NOTREASSO_MAIL_RETRY_MAX=2s")
	api := admin(t, srv)
	mustAPI(t, api, 201, "POST", "/api/v1/admin/users", map[string]any{"login": "marie", "password": userPassword, "role": "guest",
		"email": "marie@canal.example"})
	mustAPI(t, api, 201, "POST", "/api/v1/folders/Bureau", nil)
	mustAPI(t, api, 201, "POST", "/api/v1/folders/Comptes", nil)
	relay.Stop()
	mustAPI(t, api, 200, "POST", "/api/v1/grants/Bureau", map[string]any{"principal": "user:marie", "role": "viewer"})
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(srv.Output(), "mail not delivered") {
		if time.Now().After(deadline) {
			t.Fatalf("no failed attempt logged:\n%s", srv.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}
	srv.Stop()
	relay.Restart()
	srv.Restart()
	api = admin(t, srv)
	mustAPI(t, api, 200, "POST", "/api/v1/grants/Comptes", map[string]any{"principal": "user:marie", "role": "viewer"})
	relay.Wait(2, 30*time.Second)
	sentinel(t, api, relay, "marie", "Sentinelle")
	msgs := relay.Messages()
	if len(msgs) != 3 {
		t.Fatalf("%d messages, want 3 (one per share)", len(msgs))
	}
	subjects := msgs[0].Subject() + " | " + msgs[1].Subject()
	if !strings.Contains(subjects, "Bureau") || !strings.Contains(subjects, "Comptes") {
		t.Errorf("subjects: %s", subjects)
	}
	if msgs[0].Header.Get("Message-Id") == msgs[1].Header.Get("Message-Id") {
		t.Errorf("two messages share a Message-ID")
	}

	// The command line reads the same queue, and queues a test message
	// that the running server picks up (it polls for other processes' mail).
	ctx := context.Background()
	out, err := srv.Run(ctx, nil, "mail", "status")
	if err != nil || !strings.Contains(out, "waiting 0, sent 3, abandoned 0") || !strings.Contains(out, "marie@canal.example") {
		t.Errorf("mail status: %v\n%s", err, out)
	}
	if out, err := srv.Run(ctx, nil, "mail", "test", "tresorier@canal.example"); err != nil {
		t.Fatalf("mail test: %v\n%s", err, out)
	}
	if m := relay.Wait(4, 60*time.Second)[3]; m.To[0] != "tresorier@canal.example" || !strings.Contains(m.Subject(), "e-mail de test") {
		t.Errorf("the CLI's test message: %v %s", m.To, m.Subject())
	}
}

// A visitor drops files through marie's drop-box link: marie is told,
// with the names sent and a link to the folder. A group share tells each
// member with an address, in their own language.
func TestMailDropAndGroupShareNotices(t *testing.T) {
	srv, relay := mailServer(t)
	api := admin(t, srv)
	for _, u := range []struct{ login, email, lang string }{{"marie", "marie@canal.example", "fr"}, {"tom", "tom@canal.example", "en"}, {"zoe", "", "fr"}} {
		mustAPI(t, api, 201, "POST", "/api/v1/admin/users", map[string]any{"login": u.login, "password": userPassword, "role": "member",
			"email": u.email, "lang": u.lang})
	}
	mustAPI(t, api, 201, "POST", "/api/v1/folders/Re%C3%A7us", nil)
	mustAPI(t, api, 200, "POST", "/api/v1/grants/Re%C3%A7us", map[string]any{"principal": "user:marie", "role": "manager"})
	relay.Wait(1, 30*time.Second) // that grant's notice
	marie := newClient(t, srv, "marie", userPassword)
	var out map[string]any
	if st := marie.call("POST", "/api/v1/shares", map[string]any{"path": "/Reçus", "kind": "dropbox", "label": "adhérents"}, &out); st != 201 {
		t.Fatalf("marie's drop box: %d %v", st, out)
	}
	b := newBrowser(t, srv)
	b.do("GET", "/s/"+out["token"].(string)+"/", nil, nil)
	if st, page := b.upload("/s/"+out["token"].(string)+"/upload", map[string]string{"reçu janvier.pdf": "20 €", "reçu février.pdf": "20 €"}); st != 303 {
		t.Fatalf("drop: %d %s", st, page)
	}
	m := relay.Wait(2, 30*time.Second)[1]
	if m.To[0] != "marie@canal.example" || !strings.Contains(m.Subject(), "2 fichiers déposés") ||
		!strings.Contains(m.Text, "reçu janvier.pdf") || !strings.Contains(m.Text, "adhérents") || !strings.Contains(m.Text, srv.URL+"/browse/Re%C3%A7us") {
		t.Errorf("drop notice to %v: %s\n%s", m.To, m.Subject(), m.Text)
	}

	mustAPI(t, api, 201, "POST", "/api/v1/admin/groups", map[string]any{"name": "Bureau"})
	for _, l := range []string{"marie", "tom", "zoe"} {
		if st := api.call("PUT", "/api/v1/admin/groups/Bureau/members/"+l, nil, nil); st >= 300 {
			t.Fatalf("add %s to Bureau: %d", l, st)
		}
	}
	mustAPI(t, api, 201, "POST", "/api/v1/folders/CA", nil)
	mustAPI(t, api, 200, "POST", "/api/v1/grants/CA", map[string]any{"principal": "group:Bureau", "role": "editor"})
	relay.Wait(4, 30*time.Second)
	sentinel(t, api, relay, "tom", "Sentinelle")
	if msgs := relay.Messages(); len(msgs) != 5 {
		t.Fatalf("%d messages, want a grant, the drop, two share notices (zoe has no address) and the sentinel", len(msgs))
	}
	tom := relay.To("tom@canal.example") // the group share, then the sentinel
	if len(tom) != 2 || !strings.Contains(tom[0].Subject(), "shared “CA”") || !strings.Contains(tom[0].Text, "to edit") {
		t.Errorf("tom's notices: %d; the first (English): %s\n%s", len(tom), tom[0].Subject(), tom[0].Text)
	}
	if fr := relay.To("marie@canal.example"); len(fr) != 3 || !strings.Contains(fr[2].Text, "en modification") {
		t.Errorf("marie's notices: %d", len(fr))
	}
}

// A new address in « Mon compte » takes effect only through the link
// mailed to it; until then the old one stays, and the page says so.
func TestMailAddressChange(t *testing.T) {
	srv, relay := mailServer(t)
	api := admin(t, srv)
	mustAPI(t, api, 201, "POST", "/api/v1/admin/users", map[string]any{"login": "jeanne", "password": userPassword, "role": "member",
		"email": "jeanne@ancienne.example"})
	u := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: srv.URL, shots: screenshotDir(t)}
	u.login("jeanne", userPassword)
	u.open("/account", "#my-email")
	u.b.Do("new address", chromedp.SetValue("#my-email", "jeanne@nouvelle.example"))
	u.b.Navigates("save", chromedp.Submit("#my-email"))
	u.clean("address asked")
	if !strings.Contains(u.text(".flash.ok"), "lien de confirmation") || !strings.Contains(u.text("#email-pending"), "jeanne@nouvelle.example") {
		t.Errorf("after asking: %q / %q", u.text(".flash.ok"), u.text("#email-pending"))
	}
	if v := browser.Eval[string](u.b, `document.getElementById('my-email').value`); v != "jeanne@ancienne.example" {
		t.Errorf("the address changed before confirmation: %q", v)
	}
	m := relay.Wait(1, 30*time.Second)[0]
	if m.To[0] != "jeanne@nouvelle.example" {
		t.Fatalf("confirmation sent to %v", m.To)
	}
	link := linkIn(t, m, "account/email")
	u.b.Do("open the link", chromedp.Navigate(link), chromedp.WaitVisible("#email-confirm"))
	u.clean("confirmation page")
	u.b.Navigates("confirm", chromedp.Click("#email-confirm"))
	if v := browser.Eval[string](u.b, `document.getElementById('my-email').value`); v != "jeanne@nouvelle.example" {
		t.Errorf("after confirming, the address is %q", v)
	}
	u.b.Do("the link again", chromedp.Navigate(link), chromedp.WaitVisible("#email-invalid"))
}
