package web

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/auth"
)

// safeNext keeps a post-login redirect on this site: a local absolute
// path, never "//host" or a scheme. Browsers drop tabs and newlines from
// URLs and read a backslash as a slash, so "/<tab>/evil" or "/<backslash>evil"
// would leave: any control character or backslash is refused.
func safeNext(next string) string {
	bad := strings.IndexFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) >= 0
	if bad || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/browse/"
	}
	return next
}

// loginRedirect sends an anonymous visitor to the login page, back here after.
func loginRedirect(c *fiber.Ctx) error {
	return c.Redirect("/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
}

func (s *Server) loginPage(c *fiber.Ctx) error {
	if !principal(c).Anonymous() {
		return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
	}
	pg := s.newPage(c, "login")
	pg.Title = pg.L.T("login.title")
	pg.Data = struct{ Next, Login string }{safeNext(c.Query("next")), ""}
	return s.render(c, fiber.StatusOK, "login", pg)
}

// loginForm is the browser's POST /login: a form, a session, a redirect.
// Only the account password opens a session (app passwords are for
// devices), whatever app_passwords_only says (it restricts devices).
func (s *Server) loginForm(c *fiber.Ctx) error {
	login, pw, next := strings.TrimSpace(c.FormValue("login")), c.FormValue("password"), safeNext(c.FormValue("next"))
	p, epoch, err := s.auth.Login(c.UserContext(), login, pw)
	if err != nil {
		var te *auth.ThrottledError
		throttled := errors.As(err, &te)
		if !throttled && !errors.Is(err, auth.ErrBadCredentials) {
			return err
		}
		s.log.Warn("login failed", "login", login, "ip", clientIPOf(c), "throttled", throttled)
		pg := s.newPage(c, "login")
		pg.Title = pg.L.T("login.title")
		pg.Error = pg.L.T("login.bad")
		status := fiber.StatusUnauthorized
		if throttled {
			// The form stays, with the wait: the person knows when to retry.
			status = fiber.StatusTooManyRequests
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(te.Seconds()))
			pg.Error = throttledMessage(pg.L, te.Seconds())
		}
		pg.Data = struct{ Next, Login string }{next, login}
		return s.render(c, status, "login", pg)
	}
	if err := s.startSession(c, p, epoch); err != nil {
		return err
	}
	// The account's language becomes the browser's choice.
	if u, err := s.auth.UserByLogin(c.UserContext(), p.Login); err == nil && u.Lang != "" {
		s.setLangCookie(c, u.Lang)
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

func (s *Server) logoutForm(c *fiber.Ctx) error {
	sess, err := s.sessions.Get(c)
	if err != nil {
		return err
	}
	if err := sess.Destroy(); err != nil {
		return err
	}
	return c.Redirect("/login", fiber.StatusSeeOther)
}

func (s *Server) setLangCookie(c *fiber.Ctx, lang string) {
	c.Cookie(&fiber.Cookie{Name: langCookie, Value: lang, Path: "/", Expires: time.Now().AddDate(1, 0, 0),
		Secure: s.cfg.SecureCookies(), HTTPOnly: true, SameSite: "Lax"})
}

// setLang stores the language choice: in a cookie, and in the account.
func (s *Server) setLang(c *fiber.Ctx) error {
	tag, ok := supported(c.FormValue("lang"))
	if !ok {
		return errBadRequest
	}
	s.setLangCookie(c, tag.String())
	if p := principal(c); !p.Anonymous() {
		if err := s.auth.SetLang(c.UserContext(), p.UserID, tag.String()); err != nil {
			return err
		}
	}
	return c.Redirect(safeNext(c.FormValue("next")), fiber.StatusSeeOther)
}

// throttledMessage says how long to wait, in minutes once it is over 90 s.
func throttledMessage(l *Locale, seconds int) string {
	if seconds > 90 {
		return l.T("login.throttled_minutes", "Count", (seconds+59)/60)
	}
	return l.T("login.throttled_seconds", "Count", seconds)
}
