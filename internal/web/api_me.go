package web

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/auth"
)

// Self-service for every logged-in account: profile, password, sessions
// and app passwords.
func (s *Server) accountRoutes(api fiber.Router) {
	api.Patch("/me", s.updateMe)
	api.Post("/me/password", s.changePassword)
	api.Post("/me/logout-everywhere", s.logoutEverywhere)
	api.Get("/me/app-passwords", s.myAppPasswords)
	api.Post("/me/app-passwords", s.createAppPassword)
	api.Delete("/me/app-passwords/:id", s.revokeMyAppPassword)
}

func (s *Server) updateMe(c *fiber.Ctx) error {
	if err := requireUser(c); err != nil {
		return err
	}
	if err := refuseAppPassword(c); err != nil {
		return err
	}
	var req struct {
		DisplayName *string `json:"display_name"`
		Email       *string `json:"email"`
		Lang        *string `json:"lang"`
	}
	if err := readJSON(c, &req); err != nil {
		return err
	}
	p := principal(c)
	if _, err := s.auth.UpdateUser(c.UserContext(), p.UserID, p.Login, auth.UserChanges{DisplayName: req.DisplayName, Email: req.Email, Lang: req.Lang}); err != nil {
		return err
	}
	return s.me(c)
}

// changePassword checks the current account password and sets a new one.
// Every other session ends; this one carries on. App passwords keep
// working unless revoke_devices is set.
func (s *Server) changePassword(c *fiber.Ctx) error {
	if err := requireSession(c); err != nil {
		return err
	}
	var req struct {
		Current       string `json:"current"`
		New           string `json:"new"`
		RevokeDevices bool   `json:"revoke_devices"`
	}
	if err := readJSON(c, &req); err != nil {
		return err
	}
	p := principal(c)
	if err := s.auth.ChangeOwnPassword(c.UserContext(), p.UserID, req.Current, req.New, req.RevokeDevices); err != nil {
		return err
	}
	if err := s.keepSession(c, p.UserID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// logoutEverywhere ends every browser session of the caller, this one too.
func (s *Server) logoutEverywhere(c *fiber.Ctx) error {
	if err := requireUser(c); err != nil {
		return err
	}
	if err := refuseAppPassword(c); err != nil {
		return err
	}
	p := principal(c)
	if err := s.auth.LogoutEverywhere(c.UserContext(), p.UserID, p.Login); err != nil {
		return err
	}
	if c.Locals("basic") == nil {
		if sess, err := s.sessions.Get(c); err == nil {
			sess.Destroy()
		}
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type appPasswordJSON struct {
	ID       int64      `json:"id"`
	Name     string     `json:"name"`
	Created  time.Time  `json:"created"`
	LastUsed *time.Time `json:"last_used"`
	Password string     `json:"password,omitempty"` // at creation only
}

func toAppPasswordJSON(ap auth.AppPassword) appPasswordJSON {
	j := appPasswordJSON{ID: ap.ID, Name: ap.Name, Created: ap.CreatedAt}
	if !ap.LastUsedAt.IsZero() {
		j.LastUsed = &ap.LastUsedAt
	}
	return j
}

func (s *Server) appPasswordList(c *fiber.Ctx, userID int64) error {
	aps, err := s.auth.AppPasswords(c.UserContext(), userID)
	if err != nil {
		return err
	}
	out := make([]appPasswordJSON, len(aps))
	for i, ap := range aps {
		out[i] = toAppPasswordJSON(ap)
	}
	return c.JSON(fiber.Map{"app_passwords": out})
}

func (s *Server) myAppPasswords(c *fiber.Ctx) error {
	if err := requireUser(c); err != nil {
		return err
	}
	return s.appPasswordList(c, principal(c).UserID)
}

// createAppPassword answers the secret once; it cannot be shown again.
func (s *Server) createAppPassword(c *fiber.Ctx) error {
	if err := requireSession(c); err != nil {
		return err
	}
	var req struct {
		Name string `json:"name"`
	}
	if err := readJSON(c, &req); err != nil {
		return err
	}
	p := principal(c)
	ap, secret, err := s.auth.CreateAppPassword(c.UserContext(), p.UserID, p.UserID, req.Name)
	if err != nil {
		return err
	}
	j := toAppPasswordJSON(ap)
	j.Password = secret
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(j)
}

func (s *Server) revokeMyAppPassword(c *fiber.Ctx) error {
	if err := requireUser(c); err != nil {
		return err
	}
	if err := refuseAppPassword(c); err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return auth.ErrNoAppPassword
	}
	p := principal(c)
	if err := s.auth.RevokeAppPassword(c.UserContext(), p.UserID, p.UserID, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
