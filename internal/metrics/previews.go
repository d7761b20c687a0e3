package metrics

import "github.com/prometheus/client_golang/prometheus"

// Previews (internal/preview).
var (
	// PreviewQueue is how many files wait for their previews: those
	// handed to the renderers plus the journal entries not yet read.
	PreviewQueue = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "notreasso_preview_queue",
		Help: "Files waiting for their previews (thumbnails, PDF, tables), including journal entries not yet read.",
	})
	// PreviewFailures counts renderings that failed (a crash, a timeout,
	// the memory limit), by kind (thumb, pdf, table, page); a file with
	// nothing to show is not a failure.
	PreviewFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "notreasso_preview_failures_total",
		Help: "Preview renderings that failed (crash, timeout, memory limit), by kind.",
	}, []string{"kind"})
)

// PreviewKinds are the label values of PreviewFailures.
var PreviewKinds = []string{"thumb", "pdf", "table", "page"}

func init() {
	Registry.MustRegister(PreviewQueue, PreviewFailures)
	for _, k := range PreviewKinds {
		PreviewFailures.WithLabelValues(k)
	}
}
