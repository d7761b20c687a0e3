package config

import (
	"fmt"
	"net/mail"
	"os"
	"strings"
	"time"
)

// Mail configures outgoing e-mail (docs/mail.md): the SMTP relay the
// server hands its messages to. With no Host, messages wait in the queue
// until one is configured.
type Mail struct {
	Host string `koanf:"host"`
	// Port of the relay: 587 (submission, STARTTLS) by default, 465 for
	// implicit TLS.
	Port int `koanf:"port"`
	// Security is starttls (required, the default), tls (implicit TLS from
	// the first byte) or none (plain text: a relay on the same machine only).
	Security string `koanf:"security"`
	Username string `koanf:"username"`
	Password string `koanf:"password"`
	// PasswordFile reads the password from a file (secrets managers);
	// NOTREASSO_MAIL_PASSWORD sets it from the environment.
	PasswordFile string `koanf:"password_file"`
	// From is the sender, e.g. "Notre Asso <asso@example.org>".
	From string `koanf:"from"`
	// CAFile adds a certificate authority (PEM) to trust, for a relay with
	// a private certificate.
	CAFile string `koanf:"ca_file"`
	// RetryMin is the first wait after a failed delivery; each further
	// failure doubles it, up to RetryMax. After GiveUp a message is
	// abandoned (and shown as failed on the admin page).
	RetryMin time.Duration `koanf:"retry_min"`
	RetryMax time.Duration `koanf:"retry_max"`
	GiveUp   time.Duration `koanf:"give_up"`
	// DigestHour is the hour (0–23, server time) at which daily and weekly
	// digests are made; weekly ones on DigestWeekday (0 = Sunday … 6).
	DigestHour    int `koanf:"digest_hour"`
	DigestWeekday int `koanf:"digest_weekday"`
}

func defaultMail() Mail {
	return Mail{Port: 587, Security: "starttls", RetryMin: time.Minute, RetryMax: 6 * time.Hour,
		GiveUp: 4 * 24 * time.Hour, DigestHour: 7, DigestWeekday: 1}
}

// Enabled reports whether a relay is configured.
func (m Mail) Enabled() bool { return m.Host != "" }

// Secret is the SMTP password, from PasswordFile when set.
func (m Mail) Secret() (string, error) {
	if m.PasswordFile == "" {
		return m.Password, nil
	}
	b, err := os.ReadFile(m.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("config: mail.password_file: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

func (m Mail) validate() error {
	switch m.Security {
	case "starttls", "tls", "none":
	default:
		return fmt.Errorf("config: mail.security %q is none of starttls, tls, none", m.Security)
	}
	if m.Port < 1 || m.Port > 65535 {
		return fmt.Errorf("config: mail.port %d is not a port", m.Port)
	}
	if m.Host != "" {
		if _, err := mail.ParseAddress(m.From); err != nil {
			return fmt.Errorf("config: mail.from %q is not an address (set it with mail.host): %w", m.From, err)
		}
	}
	if m.RetryMin <= 0 || m.RetryMax < m.RetryMin || m.GiveUp <= 0 {
		return fmt.Errorf("config: mail.retry_min must be positive, mail.retry_max at least retry_min, mail.give_up positive")
	}
	if m.DigestHour < 0 || m.DigestHour > 23 || m.DigestWeekday < 0 || m.DigestWeekday > 6 {
		return fmt.Errorf("config: mail.digest_hour is 0–23 and mail.digest_weekday 0–6")
	}
	if m.PasswordFile != "" {
		if _, err := m.Secret(); err != nil {
			return err
		}
	}
	if m.CAFile != "" {
		if _, err := os.Stat(m.CAFile); err != nil {
			return fmt.Errorf("config: mail.ca_file: %w", err)
		}
	}
	return nil
}
