package mail

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"

	"notreasso/internal/auth"
	"notreasso/internal/config"
	"notreasso/internal/jobs"
	"notreasso/internal/meta"
	"notreasso/internal/repo"
)

// Service is outgoing mail as the server runs it.
type Service struct {
	Outbox  *Outbox
	Mailer  *Mailer
	Follows *Follows
	Sender  *Sender
	Digests *Digests
	Relay   *Relay
	Tokens  *Tokens
}

// Options are the collaborators of New.
type Options struct {
	DB     *meta.DB
	Repo   *repo.Service
	Auth   *auth.Service
	Config config.Config
	Logger *slog.Logger
	// Clock, for tests; nil is the wall clock.
	Clock interface {
		jobs.Clock
	}
}

// New builds the outbox, the mailer and the jobs. The unsubscribe key is
// the server key "mail", shared by every node of the database.
func New(ctx context.Context, o Options) (*Service, error) {
	relay, err := NewRelay(o.Config.Mail)
	if err != nil {
		return nil, err
	}
	relay.UseSaved(o.DB, o.Config.Origins)
	key, err := o.Auth.ServerKey(ctx, "mail")
	if err != nil {
		return nil, fmt.Errorf("mail signing key: %w", err)
	}
	r, err := NewRenderer(o.Config.PublicURL(), o.Config.Site.Name)
	if err != nil {
		return nil, err
	}
	r.missing = func(lang, id string) { o.Logger.Error("message missing from the catalogue", "lang", lang, "id", id) }
	var clock Clock
	var jclock jobs.Clock
	if o.Clock != nil {
		clock, jclock = o.Clock, o.Clock
	}
	host := "localhost"
	if u, err := url.Parse(o.Config.PublicURL()); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	s := &Service{Relay: relay, Tokens: NewTokens(key)}
	s.Outbox = NewOutbox(o.DB, host, clock)
	s.Follows = NewFollows(o.DB, clock)
	s.Mailer = NewMailer(s.Outbox, r, s.Tokens)
	s.Mailer.follows = s.Follows
	s.Sender = NewSender(s.Outbox, relay, o.Config.Mail, o.Logger, jclock)
	s.Digests = NewDigests(s.Follows, s.Mailer, o.Repo, o.Auth, o.Config.Mail, o.Logger, clock)
	s.Sender.Compose("digest", s.Digests)
	return s, nil
}

// Jobs are the sender (long-running) and the digest maker (periodic).
func (s *Service) Jobs() []jobs.Job {
	return []jobs.Job{s.Sender.Job(), s.Digests.Job()}
}

// The values pages build message ids from (the catalogue test reads them).
var (
	// FollowKinds are what can be followed.
	FollowKinds = []string{FollowFolder, FollowTag, FollowCollection}
	// Scopes are what an unsubscribe link can turn off.
	Scopes = []string{ScopeDigest, ScopeShares, ScopeDrops}
	// Kinds are the kinds of message the queue holds.
	Kinds = []string{"test", "invitation", "reset", "email_change", "share", "drop", "term_end", "digest"}
	// Securities are the values of mail.security.
	Securities = []string{"starttls", "tls", "none"}
)
