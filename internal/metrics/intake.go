package metrics

import "github.com/prometheus/client_golang/prometheus"

// The mail intake (internal/intake).
var (
	IntakeMessages = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "notreasso_intake_messages_total",
		Help: "Messages the mail intake handled, by outcome (imported, quarantined, refused, duplicate).",
	}, []string{"outcome"})
	IntakeFiles = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "notreasso_intake_files_total",
		Help: "Files the mail intake created (attachments and kept messages).",
	})
	IntakeRefusedFiles = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "notreasso_intake_refused_files_total",
		Help: "Attachments the mail intake refused (over the upload limit, unreadable, impossible name).",
	})
	IntakeErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "notreasso_intake_errors_total",
		Help: "Rounds of the mail intake that failed (server unreachable, login refused, storage down); each is retried.",
	})
	IntakePolls = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "notreasso_intake_polls_total",
		Help: "Times the mail intake read a mailbox for new messages.",
	})
)

func init() {
	Registry.MustRegister(IntakeMessages, IntakeFiles, IntakeRefusedFiles, IntakeErrors, IntakePolls)
	for _, o := range []string{"imported", "quarantined", "refused", "duplicate"} {
		IntakeMessages.WithLabelValues(o)
	}
}
