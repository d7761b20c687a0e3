package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	gomail "github.com/wneessen/go-mail"

	"notreasso/internal/config"
)

// ErrNotConfigured means no SMTP relay is set (mail.host is empty): mail
// waits in the queue.
var ErrNotConfigured = errors.New("mail: no SMTP relay configured (mail.host)")

// Relay delivers messages through the configured SMTP server with go-mail.
type Relay struct {
	cfg      config.Mail
	password string
	tls      *tls.Config
}

// NewRelay checks the settings and reads the secrets once.
func NewRelay(cfg config.Mail) (*Relay, error) {
	r := &Relay{cfg: cfg}
	if !cfg.Enabled() {
		return r, nil
	}
	pw, err := cfg.Secret()
	if err != nil {
		return nil, err
	}
	r.password = pw
	r.tls = &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("mail.ca_file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mail.ca_file %s: no PEM certificate in it", cfg.CAFile)
		}
		r.tls.RootCAs = pool
	}
	return r, nil
}

// Settings are the relay's settings, for the admin page (no password).
func (r *Relay) Settings() config.Mail {
	c := r.cfg
	c.Password = ""
	return c
}

// session is one open SMTP connection.
type session struct {
	c *gomail.Client
}

// dial opens a connection, negotiates TLS and logs in.
func (r *Relay) dial(ctx context.Context) (*session, error) {
	if !r.cfg.Enabled() {
		return nil, ErrNotConfigured
	}
	opts := []gomail.Option{gomail.WithPort(r.cfg.Port), gomail.WithTimeout(30 * time.Second), gomail.WithTLSConfig(r.tls)}
	switch r.cfg.Security {
	case "tls":
		opts = append(opts, gomail.WithSSL())
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if r.cfg.Username != "" {
		// Only over TLS does go-mail send PLAIN; with security none it is refused.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(r.cfg.Username), gomail.WithPassword(r.password))
	}
	c, err := gomail.NewClient(r.cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client for %s: %w", r.cfg.Host, err)
	}
	if err := c.DialWithContext(ctx); err != nil {
		return nil, fmt.Errorf("connect to %s:%d: %w", r.cfg.Host, r.cfg.Port, err)
	}
	return &session{c: c}, nil
}

func (s *session) close() { _ = s.c.Close() }

// send hands one message to the relay; nil means the relay accepted it.
func (s *session) send(from string, q queued, date time.Time) error {
	m := gomail.NewMsg()
	if err := m.From(from); err != nil {
		return fmt.Errorf("sender %q: %w", from, err)
	}
	if err := m.To(q.To); err != nil {
		return permanent{fmt.Errorf("recipient %q: %w", q.To, err)}
	}
	m.Subject(q.Subject)
	m.SetMessageIDWithValue(trimAngles(q.MessageID))
	m.SetDateWithValue(date)
	m.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	for k, v := range q.Headers {
		m.SetGenHeader(gomail.Header(k), v)
	}
	m.SetBodyString(gomail.TypeTextPlain, q.Text)
	if q.HTML != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, q.HTML)
	}
	if err := s.c.Send(m); err != nil {
		var se *gomail.SendError
		if errors.As(err, &se) && !se.IsTemp() && se.Reason == gomail.ErrSMTPRcptTo {
			return permanent{err} // the relay refuses this address for good
		}
		return err
	}
	return nil
}

// permanent marks a failure that retrying cannot fix.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

func trimAngles(id string) string {
	if len(id) > 2 && id[0] == '<' && id[len(id)-1] == '>' {
		return id[1 : len(id)-1]
	}
	return id
}
