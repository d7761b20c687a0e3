package web

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/auth"
)

type accountData struct {
	User        auth.User
	Lang        string
	FeedCreated time.Time
	FeedToken   string // just made: shown once
	Apps        appPasswordsData
	Mail        *accountMail // nil when outgoing mail is unavailable
	Terms       []termRow    // « Mes rôles »
}

func (s *Server) accountPage(c *fiber.Ctx) error {
	if principal(c).Anonymous() {
		return loginRedirect(c)
	}
	tok, err := s.takeOnce(c, "feed")
	if err != nil {
		return err
	}
	return s.renderAccount(c, tok)
}

// doFeedToken makes a new feed token and shows it once, on the page it
// redirects to: a reload shows the page again and makes no other token.
func (s *Server) doFeedToken(c *fiber.Ctx) error {
	if principal(c).Anonymous() {
		return loginRedirect(c)
	}
	tok, err := s.repo.Activity.RegenerateFeedToken(c.UserContext(), principal(c))
	if err != nil {
		return err
	}
	if err := s.keepOnce(c, "feed", tok); err != nil {
		return err
	}
	return c.Redirect("/account?ok=feed_token#feeds", fiber.StatusSeeOther)
}

func (s *Server) renderAccount(c *fiber.Ctx, feedToken string) error {
	p := principal(c)
	if p.Anonymous() {
		return loginRedirect(c)
	}
	u, err := s.auth.UserByLogin(c.UserContext(), p.Login)
	if err != nil {
		return err
	}
	pg := s.newPage(c, "account")
	pg.Title = pg.L.T("account.title")
	created, err := s.repo.Activity.FeedTokenCreated(c.UserContext(), p)
	if err != nil {
		return err
	}
	apps, err := s.appPasswordsData(c, u)
	if err != nil {
		return err
	}
	mailData, err := s.accountMailData(c.UserContext(), p)
	if err != nil {
		return err
	}
	terms, err := s.myTerms(c, pg.L)
	if err != nil {
		return err
	}
	pg.Data = accountData{User: u, Lang: pg.L.Tag.String(), FeedCreated: created, FeedToken: feedToken, Apps: apps, Mail: mailData, Terms: terms}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.render(c, fiber.StatusOK, "account", pg)
}

// changePasswordForm needs the current account password (never an app
// password), so that neither a borrowed session nor a leaked device
// password can take over the account. Other sessions end; this one goes
// on. App passwords keep working unless « revoke my devices » is ticked.
func (s *Server) changePasswordForm(c *fiber.Ctx) error {
	p := principal(c)
	if p.Anonymous() {
		return loginRedirect(c)
	}
	if err := requireSession(c); err != nil {
		return err
	}
	cur, next, again := c.FormValue("current"), c.FormValue("new"), c.FormValue("again")
	revoke := c.FormValue("revoke_devices") != ""
	if next != again {
		return back(c, "err", "password_mismatch")
	}
	if len(next) < 8 {
		return back(c, "err", "password_short")
	}
	if err := s.auth.ChangeOwnPassword(c.UserContext(), p.UserID, cur, next, revoke); err != nil {
		switch {
		case errors.Is(err, auth.ErrBadCredentials):
			return back(c, "err", "bad_password")
		case errors.Is(err, auth.ErrInvalid):
			return back(c, "err", "password_short")
		}
		return err
	}
	if err := s.keepSession(c, p.UserID); err != nil {
		return err
	}
	if revoke {
		return back(c, "ok", "password_changed_devices")
	}
	return back(c, "ok", "password_changed")
}
