package metrics

import "github.com/prometheus/client_golang/prometheus"

// Background jobs (internal/jobs), by job name.
var (
	JobDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "notreasso_job_duration_seconds",
		Help:    "Time a background job's run took, by job.",
		Buckets: []float64{.01, .1, 1, 10, 60, 600, 3600},
	}, []string{"job"})
	JobFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "notreasso_job_failures_total",
		Help: "Background job runs that ended in an error, by job.",
	}, []string{"job"})
	JobLastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "notreasso_job_last_success_timestamp_seconds",
		Help: "Unix time of the last run of a background job that succeeded, by job.",
	}, []string{"job"})
)

func init() { Registry.MustRegister(JobDuration, JobFailures, JobLastSuccess) }
