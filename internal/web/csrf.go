package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// CSRF protection, stateless: nothing is stored for a visitor who is not
// logged in (every cookie-less GET of the login page used to leave a
// session row behind for 30 days).
//
//   - A logged-in browser's token is an HMAC of its session id: it changes
//     when the id does (at login, so a token seen before login is worthless
//     after), and works on every node sharing the database's key.
//   - A visitor who is not logged in gets a random token signed with the
//     same key, in a cookie, and sends it back with the form (signed
//     double-submit cookie). That is what the login form proves.
//
// Which requests need a token is decided by the route, not by comparing
// path strings: every state-changing request through csrf() that carries
// a cookie session is checked; anonymous API calls are exempt (a cookie
// gives them nothing), except on routes that open a session, which carry
// csrfAlways in their own handler chain, so "/api/v1/login/" (Fiber's
// router matches it to the same route) is checked like "/api/v1/login".
// Requests authenticated with HTTP Basic carry no ambient authority and
// are exempt.

const (
	csrfCookie  = "notreasso_csrf"
	csrfLocal   = "csrf" // the request's token, for templates and /api/v1/me
	sessionIDOf = "sid"  // id of the logged-in session identify found
)

var errCSRF = errors.New("CSRF token missing or invalid")

// csrfSigner holds the instance's signing key, read once from the database.
type csrfSigner struct {
	mu  sync.Mutex
	key []byte
}

func (s *Server) csrfKey(ctx context.Context) ([]byte, error) {
	s.csrfSign.mu.Lock()
	defer s.csrfSign.mu.Unlock()
	if s.csrfSign.key == nil {
		k, err := s.auth.ServerKey(ctx, "csrf")
		if err != nil {
			return nil, err
		}
		s.csrfSign.key = k
	}
	return s.csrfSign.key, nil
}

func mac(key []byte, parts ...string) string {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sessionCSRF is the token of a logged-in session.
func sessionCSRF(key []byte, sid string) string { return "s." + mac(key, "session", sid) }

// newAnonCSRF makes a signed token for a visitor who is not logged in.
func newAnonCSRF(key []byte) string {
	b := make([]byte, 18)
	rand.Read(b)
	nonce := base64.RawURLEncoding.EncodeToString(b)
	return "a." + nonce + "." + mac(key, "anonymous", nonce)
}

func validAnonCSRF(key []byte, tok string) bool {
	rest, ok := strings.CutPrefix(tok, "a.")
	if !ok {
		return false
	}
	nonce, sig, ok := strings.Cut(rest, ".")
	return ok && hmac.Equal([]byte(sig), []byte(mac(key, "anonymous", nonce)))
}

// expectedCSRF is the token this request must carry: its session's, or,
// for a visitor not logged in, the signed token of its cookie ("" if it
// has none yet).
func (s *Server) expectedCSRF(c *fiber.Ctx, key []byte) string {
	if sid, ok := c.Locals(sessionIDOf).(string); ok {
		return sessionCSRF(key, sid)
	}
	if tok := c.Cookies(csrfCookie); validAnonCSRF(key, tok) {
		return tok
	}
	return ""
}

// issueCSRF makes tok the request's token, for forms and scripts.
func (s *Server) issueCSRF(c *fiber.Ctx, tok string) {
	c.Locals(csrfLocal, tok)
	if c.Cookies(csrfCookie) != tok {
		c.Cookie(&fiber.Cookie{Name: csrfCookie, Value: tok, Path: "/", SameSite: "Lax", Secure: s.cfg.SecureCookies(),
			HTTPOnly: false}) // scripts may read it to send it back in the header
	}
	c.Vary(fiber.HeaderCookie)
}

// csrf is the check for routes reached from pages and scripts.
func (s *Server) csrf() fiber.Handler { return s.csrfGuard(false) }

// csrfAlways is the check for routes that open a session (the logins):
// a cross-site page must not log the victim in as the attacker.
func (s *Server) csrfAlways() fiber.Handler { return s.csrfGuard(true) }

func (s *Server) csrfGuard(always bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if c.Locals("basic") != nil {
			return c.Next()
		}
		key, err := s.csrfKey(c.UserContext())
		if err != nil {
			return err
		}
		want := s.expectedCSRF(c, key)
		switch c.Method() {
		case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions, fiber.MethodTrace:
			if want == "" {
				if !mayNeedToken(c) {
					return c.Next()
				}
				want = newAnonCSRF(key)
			}
			s.issueCSRF(c, want)
			return c.Next()
		}
		if !always && principal(c).Anonymous() && isAPI(c) {
			return c.Next()
		}
		// Browsers say where a request comes from; a state change from
		// another site is refused whatever it carries.
		got := csrfFromRequest(c)
		if c.Get("Sec-Fetch-Site") == "cross-site" || want == "" || got == "" || !hmac.Equal([]byte(got), []byte(want)) {
			return fiber.NewError(fiber.StatusForbidden, errCSRF.Error())
		}
		c.Locals(csrfLocal, want)
		return c.Next()
	}
}

// csrfFromRequest reads the token a request sends back: a header (scripts),
// the query string (multipart uploads: reading a form field would buffer
// the whole streamed body first), or a field of an urlencoded form.
func csrfFromRequest(c *fiber.Ctx) string {
	if t := c.Get("X-CSRF-Token"); t != "" {
		return t
	}
	if t := c.Query("_csrf"); t != "" {
		return t
	}
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationForm) {
		return c.FormValue("_csrf")
	}
	return ""
}

// mayNeedToken says whether a visitor's read may be followed by a form or
// a script that needs a token (a page, /api/v1/me). A visitor's API reads
// of public folders and link downloads need none, and get no cookie.
func mayNeedToken(c *fiber.Ctx) bool {
	if !principal(c).Anonymous() {
		return true
	}
	return (!isAPI(c) || c.Path() == "/api/v1/me") && !strings.Contains(c.Path(), "/file/")
}
