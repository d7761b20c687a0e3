package web

import (
	"net/netip"
	"notreasso/internal/clientip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

const clientIPKey = "client_ip"

// clientIP finds the client's address once per request, records it for
// handlers and logs, and puts it in the request context so that every
// door calling auth.Authenticate (API Basic, web login, WebDAV) throttles
// by it. X-Forwarded-For is believed only from trusted proxies: walking it
// from the right, the first address that is not a trusted proxy is the
// client (entries further left are whatever the client claimed).
func (s *Server) clientIP(c *fiber.Ctx) error {
	ip := s.resolveClientIP(c)
	c.Locals(clientIPKey, ip)
	c.SetUserContext(clientip.With(c.UserContext(), ip))
	return c.Next()
}

func (s *Server) resolveClientIP(c *fiber.Ctx) string {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return c.IP()
	}
	peer = peer.Unmap()
	if !s.trustedProxy(peer) {
		return peer.String()
	}
	hops := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		if !s.trustedProxy(a) {
			return a.String()
		}
		peer = a
	}
	return peer.String()
}

func (s *Server) trustedProxy(a netip.Addr) bool {
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIPOf is the address found by the clientIP middleware.
func clientIPOf(c *fiber.Ctx) string {
	if ip, ok := c.Locals(clientIPKey).(string); ok {
		return ip
	}
	return c.IP()
}
