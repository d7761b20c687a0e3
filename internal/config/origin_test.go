package config

import (
	"os"
	"path/filepath"
	"testing"
)

// Origins name the file or variable that set a key; defaults have none,
// and the environment wins over the file.
func TestOrigins(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notreasso.yaml")
	if err := os.WriteFile(path, []byte("mail:\n  host: smtp.example.org\n  port: 465\n  from: a@example.org\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(nil, []string{"NOTREASSO_CONFIG=" + path, "NOTREASSO_MAIL_PORT=2525", "NOTREASSO_MAIL_USERNAME="})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"mail.host": path, "mail.from": path, "mail.port": "NOTREASSO_MAIL_PORT"} {
		if got, ok := c.Origins.Of(key); !ok || got != want {
			t.Errorf("%s from %q (%v), want %q", key, got, ok, want)
		}
	}
	for _, key := range []string{"mail.security", "mail.username", "mail.password"} {
		if got, ok := c.Origins.Of(key); ok {
			t.Errorf("%s has origin %q, want none (default or empty variable)", key, got)
		}
	}
	if c.Mail.Port != 2525 {
		t.Errorf("port %d, want the environment's 2525", c.Mail.Port)
	}
}
