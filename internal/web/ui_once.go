package web

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// A secret made by a form (an app password, a reset link, a feed token) is
// shown once, on the page the form redirects to: POST-redirect-GET, so a
// reload never makes another one. It waits in the session for that one
// request and is removed as it is read.

const oncePrefix = "once:"

// keepOnce puts a secret in the session for the next page.
func (s *Server) keepOnce(c *fiber.Ctx, kind, secret string) error {
	sess, err := s.sessions.Get(c)
	if err != nil {
		return err
	}
	sess.Set(oncePrefix+kind, secret)
	return sess.Save()
}

// takeOnce returns the secret kept for this page, if any, and forgets it.
func (s *Server) takeOnce(c *fiber.Ctx, kind string) (string, error) {
	sess, err := s.sessions.Get(c)
	if err != nil {
		return "", err
	}
	v, _ := sess.Get(oncePrefix + kind).(string)
	if v == "" {
		return "", nil
	}
	sess.Delete(oncePrefix + kind)
	return v, sess.Save()
}

// redirectMsg redirects to a page of this site with a message key.
func redirectMsg(c *fiber.Ctx, to, param, key string) error {
	sep := "?"
	if strings.Contains(to, "?") {
		sep = "&"
	}
	return c.Redirect(to+sep+param+"="+url.QueryEscape(key), fiber.StatusSeeOther)
}

// doneTo is done with an explicit page to go back to.
func doneTo(c *fiber.Ctx, to string, err error, okKey string) error {
	if err != nil {
		status, code := errorCode(err)
		if status >= 500 {
			return err
		}
		return redirectMsg(c, to, "err", code)
	}
	return redirectMsg(c, to, "ok", okKey)
}
