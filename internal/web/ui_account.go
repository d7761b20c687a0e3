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
}

func (s *Server) accountPage(c *fiber.Ctx) error { return s.renderAccount(c, "") }

// doFeedToken makes a new feed token and shows it once, on the page it
// answers with (no redirect: the token is not kept anywhere to show again).
func (s *Server) doFeedToken(c *fiber.Ctx) error {
	if principal(c).Anonymous() {
		return loginRedirect(c)
	}
	tok, err := s.repo.RegenerateFeedToken(c.UserContext(), principal(c))
	if err != nil {
		return err
	}
	return s.renderAccount(c, tok)
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
	created, err := s.repo.FeedTokenCreated(c.UserContext(), p)
	if err != nil {
		return err
	}
	pg.Data = accountData{User: u, Lang: pg.L.Tag.String(), FeedCreated: created, FeedToken: feedToken}
	return s.render(c, fiber.StatusOK, "account", pg)
}

// changePasswordForm needs the current password, so a borrowed session
// cannot take over the account.
func (s *Server) changePasswordForm(c *fiber.Ctx) error {
	p := principal(c)
	if p.Anonymous() {
		return loginRedirect(c)
	}
	cur, next, again := c.FormValue("current"), c.FormValue("new"), c.FormValue("again")
	if _, err := s.auth.Authenticate(c.UserContext(), p.Login, cur); err != nil {
		if errors.Is(err, auth.ErrBadCredentials) {
			return back(c, "err", "bad_password")
		}
		return err
	}
	if next != again {
		return back(c, "err", "password_mismatch")
	}
	if err := s.auth.SetPassword(c.UserContext(), p.UserID, p.Login, next); err != nil {
		if errors.Is(err, auth.ErrInvalid) {
			return back(c, "err", "password_short")
		}
		return err
	}
	return back(c, "ok", "password_changed")
}
