package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"

	"notreasso/internal/dav"
	"notreasso/internal/nextcloud"
)

// syncRoutes mounts the door of the Nextcloud and ownCloud apps, and the
// page where a person confirms an app's Login Flow (v2 for the desktop
// apps, v1 for the mobile apps).
func (s *Server) syncRoutes(drive *dav.Handler) {
	base := ""
	if s.cfg.BaseURL != "" {
		base = s.cfg.PublicURL()
	}
	s.sync = nextcloud.New(nextcloud.Options{Repo: s.repo, Auth: s.auth, Flows: s.auth, Drive: drive,
		PublicURL: base, Logger: s.log})
	// File bodies (whole files and chunks) stream without http.body_limit.
	for _, p := range []string{"/remote.php/dav/files/**", "/remote.php/webdav/**", "/remote.php/dav/uploads/**"} {
		s.AcceptUploads(fiber.MethodPut, p)
	}
	nextcloud.Mount(s.app, s.sync)
	csrf := s.csrf()
	s.app.Get(nextcloud.FlowPath+":token", s.identify, csrf, compress.New(), s.loginFlowPage)
	s.app.Post(nextcloud.FlowPath+":token", s.identify, csrf, s.loginFlowAnswer)
}

type loginFlowData struct {
	Token       string
	App, Device string
	Done        bool // confirmed: the app receives its password
	Denied      bool
	Gone        bool // unknown or expired
}

// loginFlowPage asks « Autoriser l'application X sur l'appareil Y ? »,
// after the login page if the person is not logged in yet.
func (s *Server) loginFlowPage(c *fiber.Ctx) error {
	if principal(c).Anonymous() {
		return loginRedirect(c)
	}
	d := loginFlowData{Token: c.Params("token")}
	info, err := s.sync.Flows().Pending(c.UserContext(), d.Token)
	if errors.Is(err, nextcloud.ErrNoFlow) {
		d.Gone = true
	} else if err != nil {
		return err
	}
	d.App, d.Device = info.App, info.Device
	return s.renderLoginFlow(c, d)
}

// loginFlowAnswer records the person's answer (a CSRF-protected form).
func (s *Server) loginFlowAnswer(c *fiber.Ctx) error {
	p := principal(c)
	if p.Anonymous() {
		return loginRedirect(c)
	}
	d := loginFlowData{Token: c.Params("token")}
	info, err := s.sync.Flows().Pending(c.UserContext(), d.Token)
	if err != nil && !errors.Is(err, nextcloud.ErrNoFlow) {
		return err
	}
	d.App, d.Device = info.App, info.Device
	switch {
	case err != nil:
		d.Gone = true
	case c.FormValue("answer") == "allow":
		err := s.sync.Flows().Approve(c.UserContext(), d.Token, p)
		if errors.Is(err, nextcloud.ErrNoFlow) {
			d.Gone = true
		} else if err != nil {
			return err
		}
		d.Done = !d.Gone
		if d.Done && info.Redirect {
			// Login Flow v1: the app's web view catches this redirect.
			login, secret, ok, err := s.sync.Flows().Take(c.UserContext(), d.Token)
			if err != nil {
				return err
			}
			if ok {
				c.Set(fiber.HeaderCacheControl, "no-store")
				return c.Redirect(s.sync.AppRedirect(c, login, secret), fiber.StatusSeeOther)
			}
			d.Done, d.Gone = false, true
		}
	default:
		if err := s.sync.Flows().Deny(c.UserContext(), d.Token); err != nil {
			return err
		}
		d.Denied = true
	}
	return s.renderLoginFlow(c, d)
}

func (s *Server) renderLoginFlow(c *fiber.Ctx, d loginFlowData) error {
	pg := s.newPage(c, "account")
	pg.Title = pg.L.T("sync.flow_title")
	pg.Data = d
	status := fiber.StatusOK
	if d.Gone {
		status = fiber.StatusNotFound
	}
	return s.render(c, status, "loginflow", pg)
}
