package web

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/auth"
)

// App passwords in My account: one per device or program (a network
// drive, rclone, the Nextcloud app), each revocable alone. The secret is
// shown once, after the redirect that follows its creation.

type appPasswordsData struct {
	List    []auth.AppPassword
	New     string // the secret just made, shown once
	NewName string
	DavURL  string
	Login   string
}

func (s *Server) appPasswordsData(c *fiber.Ctx, u auth.User) (appPasswordsData, error) {
	d := appPasswordsData{DavURL: s.cfg.PublicURL() + "/dav/", Login: u.Login}
	var err error
	if d.List, err = s.auth.AppPasswords(c.UserContext(), u.ID); err != nil {
		return d, err
	}
	if d.New, err = s.takeOnce(c, "app"); err != nil {
		return d, err
	}
	if d.New != "" && len(d.List) > 0 {
		d.NewName = d.List[0].Name // newest first: the one just made
	}
	return d, nil
}

// createAppPasswordForm makes an app password from the browser session
// (never from Basic credentials: a leaked app password cannot mint more).
func (s *Server) createAppPasswordForm(c *fiber.Ctx) error {
	p := principal(c)
	if p.Anonymous() {
		return loginRedirect(c)
	}
	if c.Locals("basic") != nil {
		return errUnauthenticated
	}
	_, secret, err := s.auth.CreateAppPassword(c.UserContext(), p.UserID, p.UserID, c.FormValue("name"))
	if errors.Is(err, auth.ErrInvalid) {
		return c.Redirect("/account?err=app_name#apps", fiber.StatusSeeOther)
	}
	if err != nil {
		return err
	}
	if err := s.keepOnce(c, "app", secret); err != nil {
		return err
	}
	return c.Redirect("/account?ok=app_password_created#apps", fiber.StatusSeeOther)
}

func (s *Server) revokeAppPasswordForm(c *fiber.Ctx) error {
	p := principal(c)
	if p.Anonymous() {
		return loginRedirect(c)
	}
	id, err := strconv.ParseInt(c.FormValue("id"), 10, 64)
	if err != nil {
		return auth.ErrNoAppPassword
	}
	if err := s.auth.RevokeAppPassword(c.UserContext(), p.UserID, p.UserID, id); err != nil {
		return err
	}
	return c.Redirect("/account?ok=app_password_revoked#apps", fiber.StatusSeeOther)
}
