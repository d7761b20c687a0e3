package web

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
)

// The admin page covers accounts (internal/auth). Groups and folder
// permissions get their section once the permissions API is in this
// branch; the template shows where.

func (s *Server) adminOnly(c *fiber.Ctx) error {
	p := principal(c)
	if p.Anonymous() {
		return loginRedirect(c)
	}
	if !p.IsAdmin() {
		return acl.ErrForbidden
	}
	return nil
}

func (s *Server) adminPage(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	users, err := s.auth.Users(c.UserContext())
	if err != nil {
		return err
	}
	pg := s.newPage(c, "admin")
	pg.Title = pg.L.T("admin.title")
	pg.Data = struct {
		Users []auth.User
		Self  string
	}{users, principal(c).Login}
	return s.render(c, fiber.StatusOK, "admin", pg)
}

func (s *Server) adminCreateUserForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	role := acl.UserRole(c.FormValue("role"))
	_, err := s.auth.CreateUser(c.UserContext(), principal(c).UserID, strings.TrimSpace(c.FormValue("login")), c.FormValue("password"), role)
	switch {
	case errors.Is(err, auth.ErrUserExists):
		return back(c, "err", "user_exists")
	case errors.Is(err, auth.ErrInvalid):
		return back(c, "err", "user_invalid")
	}
	return done(c, err, "user_created")
}

func (s *Server) adminDisableUser(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	login := c.FormValue("login")
	if login == principal(c).Login {
		return back(c, "err", "self_disable")
	}
	disable := c.FormValue("disable") != ""
	err := s.auth.SetDisabled(c.UserContext(), principal(c).UserID, login, disable)
	if disable {
		return done(c, err, "user_disabled")
	}
	return done(c, err, "user_enabled")
}
