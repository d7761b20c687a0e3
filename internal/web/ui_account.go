package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/auth"
)

type accountData struct {
	User auth.User
	Lang string
}

func (s *Server) accountPage(c *fiber.Ctx) error {
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
	pg.Data = accountData{User: u, Lang: pg.L.Tag.String()}
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
