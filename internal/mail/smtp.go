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
	"notreasso/internal/meta"
)

// ErrNotConfigured means no SMTP relay is set (mail.host is empty): mail
// waits in the queue.
var ErrNotConfigured = errors.New("mail: no SMTP relay configured (mail.host)")

// Relay delivers messages through the SMTP server with go-mail: the one
// of the configuration, or the one saved from the admin page
// (relay_settings.go), read at each connection.
type Relay struct {
	cfg      config.Mail
	password string
	roots    *x509.CertPool // nil: the system's
	db       *meta.DB       // nil: the configuration only
	origins  config.Origins
}

// NewRelay checks the settings and reads the secrets once.
func NewRelay(cfg config.Mail) (*Relay, error) {
	r := &Relay{cfg: cfg}
	pw, err := cfg.Secret()
	if err != nil {
		return nil, err
	}
	r.password = pw
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
		r.roots = pool
	}
	return r, nil
}

// UseSaved makes the relay follow the settings saved in db, under the
// keys origins says the configuration set.
func (r *Relay) UseSaved(db *meta.DB, origins config.Origins) {
	r.db, r.origins = db, origins
}

// session is one open SMTP connection.
type session struct {
	c       *gomail.Client
	from    string
	version int64 // of the saved settings it was opened with
}

// dial opens a connection, negotiates TLS and logs in, with the settings
// in force now.
func (r *Relay) dial(ctx context.Context) (*session, error) {
	e, _, _, err := r.current(ctx)
	if err != nil {
		return nil, err
	}
	if !e.Enabled() {
		return nil, ErrNotConfigured
	}
	tc := &tls.Config{ServerName: e.Host, MinVersion: tls.VersionTLS12, RootCAs: r.roots}
	opts := []gomail.Option{gomail.WithPort(e.Port), gomail.WithTimeout(30 * time.Second), gomail.WithTLSConfig(tc)}
	switch e.Security {
	case "tls":
		opts = append(opts, gomail.WithSSL())
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if e.Username != "" {
		// Only over TLS does go-mail send PLAIN; with security none it is refused.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(e.Username), gomail.WithPassword(e.Password))
	}
	c, err := gomail.NewClient(e.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client for %s: %w", e.Host, err)
	}
	if err := c.DialWithContext(ctx); err != nil {
		return nil, fmt.Errorf("connect to %s:%d: %w", e.Host, e.Port, err)
	}
	return &session{c: c, from: e.From, version: e.Version}, nil
}

// Probe connects and logs in with the settings in force, and hangs up:
// the admin page's test tells a wrong password or a closed port at once.
func (r *Relay) Probe(ctx context.Context) error {
	s, err := r.dial(ctx)
	if err != nil {
		return err
	}
	s.close()
	return nil
}

func (s *session) close() { _ = s.c.Close() }

// send hands one message to the relay; nil means the relay accepted it.
func (s *session) send(q queued, date time.Time) error {
	m := gomail.NewMsg()
	if err := m.From(s.from); err != nil {
		return fmt.Errorf("sender %q: %w", s.from, err)
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
