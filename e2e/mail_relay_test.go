package e2e

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"notreasso/internal/testutil/browser"
	"notreasso/internal/testutil/server"
	"notreasso/internal/testutil/smtpserver"
)

// The relay set from « Administration → E-mails » (no mail settings in the
// configuration; only the test relay's certificate authority, which the
// page leaves to the server's files): the test message arrives through
// it; a wrong password, a closed port and the wrong encryption are told
// in plain words; the password is never sent back, nor logged; a member
// and an administrator's app password cannot change it.
func TestMailRelayFromThePage(t *testing.T) {
	relay := smtpserver.Start(t)
	srv := server.Start(t, server.Options{Env: []string{"NOTREASSO_MAIL_CA_FILE=" + relay.CAFile,
		"NOTREASSO_SITE_NAME=Les Amis du Canal"}})
	const wrong = "pas-le-bon-mot-de-passe-42"
	u := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: srv.URL, shots: screenshotDir(t)}
	u.login("admin", server.AdminPassword)
	u.open("/admin/mail", "#relay-form")
	if got := u.text("#relay-off"); !strings.Contains(got, "Aucun serveur d’envoi") {
		t.Errorf("before any setting: %q", got)
	}
	u.b.Do("fill the relay", chromedp.SendKeys("#relay-host-in", relay.Host),
		chromedp.SetValue("#relay-port", strconv.Itoa(relay.Port)), chromedp.SetValue("#relay-security", "starttls"),
		chromedp.SendKeys("#relay-username", smtpserver.Login), chromedp.SendKeys("#relay-password", wrong),
		chromedp.SendKeys("#relay-from", "Les Amis du Canal <asso@canal.example>"))
	u.b.Navigates("save", chromedp.Click("#relay-save"))
	u.clean("relay saved")
	if got := u.text(".flash.ok"); !strings.Contains(got, "Réglages d’envoi enregistrés") {
		t.Fatalf("after saving: %q", got)
	}
	if got := u.text("#password-state"); !strings.Contains(got, "Mot de passe enregistré") {
		t.Errorf("password state: %q", got)
	}
	if got := browser.Eval[string](u.b, `document.querySelector('#relay-password').value`); got != "" {
		t.Errorf("the password field is filled with %q", got)
	}

	// The test with the wrong password: refused, in plain words, nothing queued.
	u.b.Do("address", chromedp.SetValue("#test-to", "tresorier@canal.example"))
	u.b.Navigates("send a test", chromedp.Click("#send-test"))
	if got := u.text(".flash.err"); !strings.Contains(got, "refuse l’identifiant ou le mot de passe") {
		t.Errorf("wrong password told as %q", got)
	}

	// Replace the password (only that field): the test message arrives.
	u.open("/admin/mail", "#relay-form")
	u.b.Do("new password", chromedp.SendKeys("#relay-password", smtpserver.Password))
	u.b.Navigates("save", chromedp.Click("#relay-save"))
	u.b.Do("address", chromedp.SetValue("#test-to", "tresorier@canal.example"))
	u.b.Navigates("send a test", chromedp.Click("#send-test"))
	if got := u.text(".flash.ok"); !strings.Contains(got, "E-mail de test mis dans la file") {
		t.Fatalf("test with the right password: %q / %q", got, u.text(".flash.err"))
	}
	m := relay.Wait(1, 30*time.Second)[0]
	if m.To[0] != "tresorier@canal.example" || !m.TLS || !strings.Contains(m.Header.Get("From"), "asso@canal.example") {
		t.Errorf("test message to %v from %q (TLS %v)", m.To, m.Header.Get("From"), m.TLS)
	}
	u.open("/admin/mail", "#relay-form")
	u.screenshot("admin-mail-relay")

	// Plain words for a closed port and for the wrong encryption.
	b := newBrowser(t, srv)
	if st := b.login("admin", server.AdminPassword); st != 200 {
		t.Fatalf("login: %d", st)
	}
	save := func(port int, security string) {
		t.Helper()
		st, loc := b.form("/do/admin/mail/relay", url.Values{"host": {relay.Host}, "port": {strconv.Itoa(port)}, "security": {security},
			"username": {smtpserver.Login}, "from": {"Les Amis du Canal <asso@canal.example>"}})
		if st != 303 || !strings.Contains(loc, "ok=mail_relay_saved") {
			t.Fatalf("save %d %s: %d %s", port, security, st, loc)
		}
	}
	tryTest := func(want string) {
		t.Helper()
		st, loc := b.form("/do/admin/mail/test", url.Values{"to": {"tresorier@canal.example"}})
		if st != 303 {
			t.Fatalf("test: %d", st)
		}
		_, page, _ := b.do("GET", loc, nil, nil)
		if !strings.Contains(page, want) {
			t.Errorf("test answered %s, page lacks %q", loc, want)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().(*net.TCPAddr).Port
	l.Close()
	save(closed, "starttls")
	tryTest("Connexion refusée")
	save(relay.Port, "tls")
	tryTest("Le chiffrement n’a pas pu s’établir")
	save(relay.Port, "starttls") // the saved password was kept by each save
	tryTest("E-mail de test mis dans la file")
	relay.Wait(2, 30*time.Second)

	// Bad values are refused and change nothing.
	st, loc := b.form("/do/admin/mail/relay", url.Values{"host": {relay.Host}, "port": {"99999"}, "security": {"starttls"},
		"from": {"pas une adresse"}})
	if st != 303 || !strings.Contains(loc, "err=mail_relay_bad") {
		t.Errorf("bad values: %d %s", st, loc)
	}

	// A member is refused the page and the form; an administrator's app
	// password cannot change the relay either.
	mustAPI(t, admin(t, srv), 201, "POST", "/api/v1/admin/users", map[string]any{"login": "marie", "password": userPassword, "role": "member"})
	marie := newBrowser(t, srv)
	if st := marie.login("marie", userPassword); st != 200 {
		t.Fatal(st)
	}
	if st, _, _ := marie.do("GET", "/admin/mail", nil, map[string]string{"Accept": "text/html"}); st != 403 {
		t.Errorf("member opens the mail page: %d", st)
	}
	if st, _ := marie.form("/do/admin/mail/relay", url.Values{"host": {"evil.example"}, "port": {"25"}, "security": {"none"}, "from": {"x@evil.example"}}); st != 403 {
		t.Errorf("member saves the relay: %d", st)
	}
	st, body, _ := b.do("POST", "/api/v1/me/app-passwords", strings.NewReader(`{"name":"Ordinateur"}`),
		map[string]string{"Content-Type": "application/json", "X-CSRF-Token": b.cookie("notreasso_csrf")})
	var ap struct{ Password string }
	fmtUnmarshal([]byte(body), &ap)
	if st != 201 || ap.Password == "" {
		t.Fatalf("app password: %d %s", st, body)
	}
	device := newClient(t, srv, "admin", ap.Password)
	resp := device.do("POST", "/do/admin/mail/relay", strings.NewReader(url.Values{"host": {"evil.example"}, "port": {"25"},
		"security": {"none"}, "from": {"x@evil.example"}}.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("app password saves the relay: %d", resp.StatusCode)
	}
	_, page, _ := b.do("GET", "/admin/mail", nil, nil)
	if !strings.Contains(page, `value="`+relay.Host+`"`) || strings.Contains(page, "evil.example") {
		t.Errorf("the relay changed after refused saves")
	}

	// The password is in no page, answer or log line.
	_, audit, _ := b.do("GET", "/admin/audit", nil, nil)
	if !strings.Contains(audit, "réglages d’envoi des e-mails") {
		t.Errorf("the audit log does not show the change")
	}
	_, me, _ := b.do("GET", "/api/v1/me", nil, nil)
	for where, text := range map[string]string{"page": page, "audit": audit, "api": me, "log": srv.Output()} {
		for _, pw := range []string{wrong, smtpserver.Password} {
			if strings.Contains(text, pw) {
				t.Errorf("the relay password appears in the %s", where)
			}
		}
	}
}

// A key set in the server's environment wins over the page and is shown
// locked, naming the variable; the others stay editable.
func TestMailRelayLockedByEnvironment(t *testing.T) {
	relay := smtpserver.Start(t)
	srv := server.Start(t, server.Options{Env: []string{"NOTREASSO_MAIL_CA_FILE=" + relay.CAFile,
		"NOTREASSO_MAIL_FROM=Asso du fichier <fichier@canal.example>"}})
	b := newBrowser(t, srv)
	if st := b.login("admin", server.AdminPassword); st != 200 {
		t.Fatal(st)
	}
	st, loc := b.form("/do/admin/mail/relay", url.Values{"host": {relay.Host}, "port": {strconv.Itoa(relay.Port)}, "security": {"starttls"},
		"username": {smtpserver.Login}, "password": {smtpserver.Password}, "from": {"Autre <autre@canal.example>"}})
	if st != 303 || !strings.Contains(loc, "ok=mail_relay_saved") {
		t.Fatalf("save: %d %s", st, loc)
	}
	_, page, _ := b.do("GET", "/admin/mail", nil, map[string]string{"Accept-Language": "fr"})
	if !strings.Contains(page, `id="lock-from"`) || !strings.Contains(page, "NOTREASSO_MAIL_FROM") || strings.Contains(page, `id="lock-host"`) {
		t.Errorf("locks on the page:\n%s", page)
	}
	if st, loc := b.form("/do/admin/mail/test", url.Values{"to": {"tresorier@canal.example"}}); st != 303 || !strings.Contains(loc, "ok=") {
		t.Fatalf("test: %d %s", st, loc)
	}
	if m := relay.Wait(1, 30*time.Second)[0]; !strings.Contains(m.Header.Get("From"), "fichier@canal.example") {
		t.Errorf("sent from %q, want the environment's sender", m.Header.Get("From"))
	}
}
