package web

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
)

const (
	principalKey  = "principal"
	identifiedKey = "identified" // identify ran: an anonymous principal is real
)

// principal is who the request acts for (anonymous if nobody logged in).
func principal(c *fiber.Ctx) acl.Principal {
	p, _ := c.Locals(principalKey).(acl.Principal)
	return p
}

func loginOf(c *fiber.Ctx) string { return principal(c).Login }

// identify resolves the caller from HTTP Basic credentials (API clients) or
// the session cookie (browsers). Wrong Basic credentials are an error (and
// count towards throttling); no credentials at all means anonymous and
// costs nothing. A session from before "log out everywhere" (or a
// password change) is ended.
func (s *Server) identify(c *fiber.Ctx) error {
	c.Locals(identifiedKey, true)
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		login, pw, ok := parseBasic(h)
		if !ok {
			return errUnauthenticated
		}
		d, err := s.auth.AuthenticateDevice(c.UserContext(), login, pw, clientIPOf(c))
		if err != nil {
			return err
		}
		c.Locals(principalKey, d.Principal)
		c.Locals("basic", true)
		if d.AppPassword != 0 {
			c.Locals(appPasswordKey, d.AppPassword)
		}
		return c.Next()
	}
	sess, err := s.sessions.Get(c)
	if err != nil {
		return err
	}
	if uid, ok := sess.Get("uid").(int64); ok {
		epoch, _ := sess.Get("epoch").(int64)
		p, err := s.auth.SessionPrincipal(c.UserContext(), uid, epoch)
		switch {
		case errors.Is(err, auth.ErrBadCredentials), errors.Is(err, auth.ErrNoUser):
			// Disabled, deleted or logged out everywhere since: end the session.
			sess.Destroy()
		case err != nil:
			return err // the database failed: keep the session for the next try
		default:
			c.Locals(principalKey, p)
			c.Locals(sessionIDOf, sess.ID())
		}
	}
	return c.Next()
}

// appPasswordKey marks a request authenticated with an app password.
const appPasswordKey = "app_password"

func parseBasic(h string) (string, string, bool) {
	enc, ok := strings.CutPrefix(h, "Basic ")
	if !ok {
		return "", "", false
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(b), ":")
}

type loginRequest struct {
	Login    string `json:"login" form:"login"`
	Password string `json:"password" form:"password"`
}

func (s *Server) login(c *fiber.Ctx) error {
	var req loginRequest
	if err := readJSON(c, &req); err != nil {
		return err
	}
	p, epoch, err := s.auth.Login(c.UserContext(), req.Login, req.Password)
	if err != nil {
		s.log.Warn("login failed", "login", req.Login, "ip", clientIPOf(c), "err", err)
		return err
	}
	if err := s.startSession(c, p, epoch); err != nil {
		return err
	}
	return s.me(c)
}

// startSession opens the browser session of p after a login (both doors:
// the API and the form). The session gets a fresh id (no session
// fixation), the account's current epoch (a session without it would be
// taken for one from before the last password change and ended at once),
// and a CSRF token bound to the new id.
func (s *Server) startSession(c *fiber.Ctx, p acl.Principal, epoch int64) error {
	sess, err := s.sessions.Get(c)
	if err != nil {
		return err
	}
	if err := sess.Regenerate(); err != nil {
		return err
	}
	sid := sess.ID()
	sess.Set("uid", p.UserID)
	sess.Set("epoch", epoch)
	if err := sess.Save(); err != nil {
		return err
	}
	key, err := s.csrfKey(c.UserContext())
	if err != nil {
		return err
	}
	c.Locals(principalKey, p)
	c.Locals(sessionIDOf, sid)
	s.issueCSRF(c, sessionCSRF(key, sid))
	return nil
}

// keepSession stores the account's new epoch in this browser's session
// after its own password change, which ended every other session.
func (s *Server) keepSession(c *fiber.Ctx, userID int64) error {
	epoch, err := s.auth.Epoch(c.UserContext(), userID)
	if err != nil {
		return err
	}
	sess, err := s.sessions.Get(c)
	if err != nil {
		return err
	}
	sess.Set("epoch", epoch)
	return sess.Save()
}

func (s *Server) logout(c *fiber.Ctx) error {
	sess, err := s.sessions.Get(c)
	if err != nil {
		return err
	}
	if err := sess.Destroy(); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) me(c *fiber.Ctx) error {
	p := principal(c)
	token, _ := c.Locals(csrfLocal).(string)
	if p.Anonymous() {
		return c.JSON(fiber.Map{"authenticated": false, "csrf_token": token})
	}
	u, err := s.auth.UserByID(c.UserContext(), p.UserID)
	if err != nil {
		return err
	}
	groups, err := s.auth.GroupsOf(c.UserContext(), p.UserID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"authenticated": true, "login": p.Login, "role": p.Role, "display_name": u.DisplayName,
		"email": u.Email, "lang": u.Lang, "groups": groups, "app_passwords_only": u.AppPasswordsOnly, "csrf_token": token})
}

// requireUser turns an anonymous caller away with 401 (used where the
// anonymous answer would otherwise be an empty result).
func requireUser(c *fiber.Ctx) error {
	if principal(c).Anonymous() {
		return errUnauthenticated
	}
	return nil
}

// requireSession refuses HTTP Basic callers: creating app passwords and
// changing the password need the account password in a browser session,
// so that a leaked app password cannot mint more of them.
func requireSession(c *fiber.Ctx) error {
	if err := requireUser(c); err != nil {
		return err
	}
	if c.Locals("basic") != nil {
		return fmt.Errorf("log in to the web interface to do this: %w", acl.ErrForbidden)
	}
	return nil
}

// refuseAppPassword turns away account management (profile, e-mail,
// sessions, app passwords, other people's passwords) done with an app
// password: those authenticate devices, not the person.
func refuseAppPassword(c *fiber.Ctx) error {
	if c.Locals(appPasswordKey) != nil {
		return fmt.Errorf("an app password cannot manage the account; log in to the web interface: %w", acl.ErrForbidden)
	}
	return nil
}
