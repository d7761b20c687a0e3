package web

import (
	"io"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// fiber's app.Test connects from 0.0.0.0, which the tests trust or not.
func TestClientIP(t *testing.T) {
	tests := []struct {
		name    string
		trusted []string
		xff     string
		want    string
	}{
		{"no proxy configured: the header is ignored", nil, "203.0.113.9", "0.0.0.0"},
		{"trusted proxy: the client it saw", []string{"0.0.0.0/32"}, "203.0.113.9", "203.0.113.9"},
		{"a client cannot spoof by prepending", []string{"0.0.0.0/32"}, "198.51.100.1, 203.0.113.9", "203.0.113.9"},
		{"chains of trusted proxies are skipped", []string{"0.0.0.0/32", "10.0.0.0/8"}, "203.0.113.9, 10.1.2.3", "203.0.113.9"},
		{"garbage stops the walk", []string{"0.0.0.0/32"}, "nonsense", "0.0.0.0"},
		{"no header from a trusted proxy", []string{"0.0.0.0/32"}, "", "0.0.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Server{}
			for _, p := range tt.trusted {
				s.proxies = append(s.proxies, netip.MustParsePrefix(p))
			}
			app := fiber.New()
			app.Use(s.clientIP)
			app.Get("/", func(c *fiber.Ctx) error { return c.SendString(clientIPOf(c)) })
			req := httptest.NewRequest("GET", "/", nil)
			if tt.xff != "" {
				req.Header.Set("X-Forwarded-For", tt.xff)
			}
			resp, err := app.Test(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			if string(b) != tt.want {
				t.Errorf("client IP %q, want %q", b, tt.want)
			}
		})
	}
}

func TestRedactPath(t *testing.T) {
	for in, want := range map[string]string{
		"/s/1aJp-gDDc4CVKWeeRNK5OySt/file/a.txt":  "/s/1aJp…/file/a.txt",
		"/s/1aJp-gDDc4CVKWeeRNK5OySt":             "/s/1aJp…",
		"/api/v1/files/s/x":                       "/api/v1/files/s/x",
		"/reset/Xk2pQ9rT7vW1yZ3bN5mL8cF0hJ4gD6sA": "/reset/Xk2p…",
		"/account/email/Xk2pQ9rT7vW1yZ3bN5mL8c":   "/account/email/Xk2p…",
		"/mail/unsubscribe/Mi5kaWdlc3Q.CgqCaRZc":  "/mail/unsubscribe/Mi5k…",
	} {
		if got := redactPath(in); got != want {
			t.Errorf("redactPath(%q) = %q, want %q", in, got, want)
		}
	}
}
