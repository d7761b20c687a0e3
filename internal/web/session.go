package web

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/csrf"

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
		p, err := s.auth.Authenticate(c.UserContext(), login, pw)
		if err != nil {
			return err
		}
		c.Locals(principalKey, p)
		c.Locals("basic", true)
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
		}
	}
	return c.Next()
}

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

// csrf protects cookie-authenticated requests that change state. Requests
// with Basic credentials carry no ambient authority and are exempt, and so
// are API requests from visitors who are not logged in (their cookie gives
// them nothing an attacker could not do directly) — except the login
// itself. Share-link pages always check: their session remembers unlocked
// link passwords.
func (s *Server) csrf() fiber.Handler {
	return csrf.New(csrf.Config{
		Next: func(c *fiber.Ctx) bool {
			if c.Locals("basic") != nil {
				return true
			}
			anonymous := principal(c).Anonymous()
			switch c.Method() {
			case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions, fiber.MethodTrace:
				// The middleware issues the token (and saves a session) where a
				// login or a form may follow; a visitor's reads of public
				// folders and link downloads need none, and must not each
				// leave a session row behind.
				return anonymous && (isAPI(c) && c.Path() != "/api/v1/me" || strings.Contains(c.Path(), "/file/"))
			}
			return isAPI(c) && anonymous && c.Path() != "/api/v1/login"
		},
		CookieName:     "notreasso_csrf",
		ContextKey:     "csrf",
		CookieSameSite: "Lax",
		CookieSecure:   s.cfg.SecureCookies(),
		CookieHTTPOnly: false, // scripts read it to send it back in the header
		Session:        s.sessions,
		Expiration:     s.cfg.Session.Lifetime,
		Extractor: func(c *fiber.Ctx) (string, error) {
			if t := c.Get("X-CSRF-Token"); t != "" {
				return t, nil
			}
			// Multipart forms (uploads) carry it in the query string: reading
			// a form field would buffer the whole streamed body first.
			if t := c.Query("_csrf"); t != "" {
				return t, nil
			}
			if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationForm) {
				if t := c.FormValue("_csrf"); t != "" {
					return t, nil
				}
			}
			return "", errors.New("missing CSRF token")
		},
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			return fiber.NewError(fiber.StatusForbidden, "CSRF token missing or invalid: "+err.Error())
		},
	})
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
	sess, err := s.sessions.Get(c)
	if err != nil {
		return err
	}
	// A fresh id at login prevents session fixation.
	if err := sess.Regenerate(); err != nil {
		return err
	}
	sess.Set("uid", p.UserID)
	sess.Set("epoch", epoch)
	if err := sess.Save(); err != nil {
		return err
	}
	c.Locals(principalKey, p)
	return s.me(c)
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
	token, _ := c.Locals("csrf").(string)
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
