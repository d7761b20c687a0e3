package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Mail settings: bad values are refused at start, with the key named; the
// password comes from a file when one is given.
func TestMailSettings(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(nil, []string{"NOTREASSO_MAIL_HOST=smtp.example.org", "NOTREASSO_MAIL_FROM=Asso <a@example.org>", "NOTREASSO_MAIL_PASSWORD_FILE=" + pw})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := c.Mail.Secret(); err != nil || s != "s3cret" || !c.Mail.Enabled() || c.Mail.Port != 587 || c.Mail.Security != "starttls" {
		t.Errorf("mail: %+v %q %v", c.Mail, s, err)
	}
	for _, env := range [][]string{
		{"NOTREASSO_MAIL_SECURITY=ssl"},
		{"NOTREASSO_MAIL_HOST=smtp.example.org"}, // no sender
		{"NOTREASSO_MAIL_PASSWORD_FILE=" + filepath.Join(dir, "absent")},
		{"NOTREASSO_MAIL_CA_FILE=" + filepath.Join(dir, "absent.pem")},
		{"NOTREASSO_MAIL_DIGEST_HOUR=24"},
		{"NOTREASSO_MAIL_RETRY_MIN=0s"},
	} {
		if _, err := Load(nil, env); err == nil || !strings.Contains(err.Error(), "mail.") {
			t.Errorf("%v: %v, want an error naming the mail setting", env, err)
		}
	}
}
