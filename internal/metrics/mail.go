package metrics

import "github.com/prometheus/client_golang/prometheus"

// Outgoing mail (internal/mail), by kind of message.
var (
	MailSent = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "notreasso_mail_sent_total",
		Help: "E-mails the SMTP relay accepted, by kind (invitation, reset, digest…).",
	}, []string{"kind"})
	MailFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "notreasso_mail_failures_total",
		Help: "Failed delivery attempts, by outcome: retry (will be tried again) or abandoned.",
	}, []string{"outcome"})
)

func init() { Registry.MustRegister(MailSent, MailFailures) }
