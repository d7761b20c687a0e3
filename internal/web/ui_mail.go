package web

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
	"notreasso/internal/jobs"
	notice "notreasso/internal/mail"
)

// Outgoing mail in the browser: the admin page (settings, queue, test
// message), « Mot de passe oublié ? », the unsubscribe page, address
// confirmation. Follows and preferences are in ui_mail_account.go.
// Handlers only queue messages (notice.Mailer.Notify → one INSERT); the
// mail.send job delivers them.

// errNoMail answers the mail routes when outgoing mail could not start
// (its error is in the log).
var errNoMail = errors.New("outgoing mail is not available on this server")

// needMail wraps a mail route: it stops when outgoing mail could not start.
func (s *Server) needMail(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if s.mail == nil {
			return errNoMail
		}
		return h(c)
	}
}

func (s *Server) uiMailRoutes(page, post func(string, fiber.Handler)) {
	page("/admin/mail", s.needMail(s.adminMailPage))
	post("/do/admin/mail/test", s.needMail(s.adminMailTestForm))
	post("/do/admin/mail/relay", s.needMail(s.adminMailRelayForm))
	post("/do/admin/mail/retry", s.needMail(s.adminMailRetryForm))
	page("/forgot", s.forgotPage)
	post("/forgot", s.forgotForm)
	page("/account/email/:token", s.emailConfirmPage)
	post("/account/email/:token", s.emailConfirmForm)
	post("/do/follow", s.needMail(s.followForm))
	post("/do/mail-prefs", s.needMail(s.mailPrefsForm))
	page("/mail/unsubscribe/:token", s.needMail(s.unsubscribePage))
	// RFC 8058 one-click: mail programs POST here from their servers, with
	// no cookie and no CSRF token. The signed token is the whole
	// authority, and all it can do is turn one kind of mail off.
	s.app.Post("/mail/unsubscribe/:token", s.needMail(s.unsubscribeForm))
}

// MailJobs are outgoing mail's jobs (the sender and the digest maker).
func (s *Server) MailJobs() []jobs.Job {
	if s.mail == nil {
		return nil
	}
	return s.mail.Jobs()
}

// TermNotifier is where the end-of-term reminders go (the terms.remind
// job): e-mail to the holder and the administrators, or only the log when
// outgoing mail could not start.
func (s *Server) TermNotifier() auth.TermNotifier {
	if s.mail == nil {
		return auth.LogTermNotifier{Log: s.log}
	}
	return notice.TermReminders{Mailer: s.mail.Mailer, Auth: s.auth}
}

// Mail is the server's outgoing mail (for the CLI and tests).
func (s *Server) Mail() *notice.Service { return s.mail }

// recipient is an account as a notice addresses it.
func recipient(u auth.User) notice.Recipient {
	return notice.Recipient{UserID: u.ID, Login: u.Login, Name: u.DisplayName, Email: u.Email, Lang: u.Lang}
}

// notify queues a notice; a failure to queue is logged, never shown as
// the failure of what the person did (the share or upload succeeded).
func (s *Server) notify(ctx context.Context, to notice.Recipient, n notice.Notice) {
	if s.mail == nil {
		return
	}
	if err := s.mail.Mailer.Notify(ctx, to, n); err != nil {
		s.log.Error("queue mail", "to_user", to.UserID, "err", err)
	}
}

// mailReady says whether a relay is configured: without one, pages offer
// the copy-the-link ways instead of promising an e-mail.
func (s *Server) mailReady(ctx context.Context) bool {
	return s.mail != nil && s.mail.Relay.Ready(ctx)
}

func (s *Server) actorName(ctx context.Context, p acl.Principal) string {
	if u, err := s.auth.UserByID(ctx, p.UserID); err == nil && u.DisplayName != "" {
		return u.DisplayName
	}
	return p.Login
}

func (s *Server) adminMailRetryForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	_, err := s.mail.Sender.RetryNow(c.UserContext())
	return doneTo(c, "/admin/mail", err, "mail_retry")
}

// forgotPage is « Mot de passe oublié ? ».
func (s *Server) forgotPage(c *fiber.Ctx) error {
	pg := s.newPage(c, "login")
	pg.Title = pg.L.T("forgot.title")
	pg.Data = struct{ Ready, Sent bool }{s.mailReady(c.UserContext()), c.Query("sent") != ""}
	return s.render(c, fiber.StatusOK, "forgot", pg)
}

// forgotMailGap is the least time between two links mailed to one
// account: asking again and again does not flood the person's inbox.
const forgotMailGap = 10 * time.Minute

// forgotForm mails a password link to the account named by login or
// address, if there is one, and answers the same way whether there is or
// not. Requests are throttled per address like failed logins.
func (s *Server) forgotForm(c *fiber.Ctx) error {
	who := strings.TrimSpace(c.FormValue("who"))
	if who == "" || len(who) > 254 {
		return c.Redirect("/forgot", fiber.StatusSeeOther)
	}
	ip, key := clientIPOf(c), "forgot:"+strings.ToLower(who)
	if wait := s.auth.Throttle().Wait(ip, key); wait > 0 {
		te := &auth.ThrottledError{RetryAfter: wait}
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(te.Seconds()))
		pg := s.newPage(c, "login")
		pg.Title = pg.L.T("forgot.title")
		pg.Error = throttledMessage(pg.L, te.Seconds())
		pg.Data = struct{ Ready, Sent bool }{s.mailReady(c.UserContext()), false}
		return s.render(c, fiber.StatusTooManyRequests, "forgot", pg)
	}
	s.auth.Throttle().Fail(ip, key) // every request counts: none is a "success" to forgive
	if s.mailReady(c.UserContext()) {
		if err := s.mailResetLinks(c.UserContext(), who); err != nil {
			s.log.Error("password link by mail", "err", err)
		}
	}
	return c.Redirect("/forgot?sent=1", fiber.StatusSeeOther)
}

func (s *Server) mailResetLinks(ctx context.Context, who string) error {
	var users []auth.User
	if strings.Contains(who, "@") {
		us, err := s.auth.UsersByEmail(ctx, who)
		if err != nil {
			return err
		}
		users = us
	}
	if u, err := s.auth.UserByLogin(ctx, who); err == nil && !u.Disabled && u.Email != "" {
		users = append(users, u)
	}
	seen := map[int64]bool{}
	for _, u := range users {
		if seen[u.ID] {
			continue
		}
		seen[u.ID] = true
		if l, ok, err := s.auth.PendingResetLink(ctx, u.ID); err != nil {
			return err
		} else if ok && time.Since(l.CreatedAt) < forgotMailGap {
			continue
		}
		token, exp, err := s.auth.CreateResetLink(ctx, 0, u.Login, auth.ResetLinkTTL)
		if err != nil {
			return err
		}
		if err := s.mail.Mailer.Notify(ctx, recipient(u), notice.PasswordReset{Login: u.Login, Token: token, Expires: exp}); err != nil {
			return err
		}
	}
	return nil
}

// emailConfirmPage asks the holder of a new address to confirm it (a
// button, so that a mail scanner opening the link changes nothing).
func (s *Server) emailConfirmPage(c *fiber.Ctx) error {
	u, email, err := s.auth.EmailLink(c.UserContext(), c.Params("token"))
	return s.renderEmailConfirm(c, u, email, err)
}

func (s *Server) renderEmailConfirm(c *fiber.Ctx, u auth.User, email string, err error) error {
	status := fiber.StatusOK
	if errors.Is(err, auth.ErrEmailLink) {
		status = fiber.StatusGone
	} else if err != nil {
		return err
	}
	pg := s.newPage(c, "login")
	pg.Title = pg.L.T("emailconf.title")
	pg.Data = struct {
		Valid               bool
		Login, Email, Token string
	}{status == fiber.StatusOK, u.Login, email, c.Params("token")}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.render(c, status, "email_confirm", pg)
}

func (s *Server) emailConfirmForm(c *fiber.Ctx) error {
	_, err := s.auth.ConfirmEmailChange(c.UserContext(), c.Params("token"))
	if errors.Is(err, auth.ErrEmailLink) {
		return s.renderEmailConfirm(c, auth.User{}, "", err)
	}
	if err != nil {
		return err
	}
	if principal(c).Anonymous() {
		return c.Redirect("/login?ok=email_confirmed", fiber.StatusSeeOther)
	}
	return c.Redirect("/account?ok=email_confirmed#profile-h", fiber.StatusSeeOther)
}

// unsubscribePage shows what the link turns off, with one button: mail
// scanners that open links must not unsubscribe people.
func (s *Server) unsubscribePage(c *fiber.Ctx) error {
	uid, scope, err := s.mail.Tokens.Verify(c.Params("token"))
	pg := s.newPage(c, "login")
	pg.Title = pg.L.T("unsub.title")
	status := fiber.StatusOK
	if err != nil {
		status = fiber.StatusNotFound
	}
	var login string
	if err == nil {
		u, uerr := s.auth.UserByID(c.UserContext(), uid)
		if uerr != nil {
			status = fiber.StatusNotFound
		}
		login = u.Login
	}
	pg.Data = struct {
		Valid               bool
		Done                bool
		Scope, Login, Token string
	}{status == fiber.StatusOK, c.Query("done") != "", scope, login, c.Params("token")}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.render(c, status, "unsubscribe", pg)
}

// unsubscribeForm turns the mail off, for the page's button and for mail
// programs' one-click POST alike.
func (s *Server) unsubscribeForm(c *fiber.Ctx) error {
	uid, scope, err := s.mail.Tokens.Verify(c.Params("token"))
	if err != nil {
		return c.Status(fiber.StatusNotFound).SendString("unknown unsubscribe link")
	}
	if err := s.mail.Follows.Unsubscribe(c.UserContext(), uid, scope); err != nil {
		return err
	}
	s.log.Info("unsubscribed", "user", uid, "scope", scope)
	if strings.Contains(string(c.Body()), "List-Unsubscribe=One-Click") {
		return c.SendStatus(fiber.StatusOK) // a mail program: no page to show
	}
	return c.Redirect("/mail/unsubscribe/"+c.Params("token")+"?done=1", fiber.StatusSeeOther)
}
