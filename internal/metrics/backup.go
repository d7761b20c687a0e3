package metrics

import "github.com/prometheus/client_golang/prometheus"

// Scheduled backups and verifications (internal/backup/schedule), by
// target name. The gauges are set from the recorded runs at start, so
// they survive restarts; alert on BackupStale or on an old last success.
var (
	BackupLastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "notreasso_backup_last_success_timestamp_seconds",
		Help: "Unix time the last successful backup of a target ended (0: never).",
	}, []string{"target"})
	BackupDuration = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "notreasso_backup_last_duration_seconds",
		Help: "How long the last backup of a target took, whatever its result.",
	}, []string{"target"})
	BackupSize = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "notreasso_backup_size_bytes",
		Help: "Bytes of content a target holds, as of its last successful backup.",
	}, []string{"target"})
	BackupFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "notreasso_backup_failures_total",
		Help: "Backup runs that failed, by target (since the process started).",
	}, []string{"target"})
	BackupFailing = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "notreasso_backup_consecutive_failures",
		Help: "Failed backups of a target since its last successful one.",
	}, []string{"target"})
	BackupVerifyLastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "notreasso_backup_verify_last_success_timestamp_seconds",
		Help: "Unix time the last successful verification of a target ended (0: never).",
	}, []string{"target"})
	BackupVerifyFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "notreasso_backup_verify_failures_total",
		Help: "Verifications that failed, by target (since the process started): a snapshot that does not restore.",
	}, []string{"target"})
	BackupVerifyOK = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "notreasso_backup_verify_ok",
		Help: "1 if the last verification of a target succeeded, 0 if it failed or none ran.",
	}, []string{"target"})
	BackupStale = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "notreasso_backup_stale",
		Help: "1 when the administration pages show the red backup banner: no target, a last good backup older than the schedule allows, or a failed verification.",
	})
)

func init() {
	Registry.MustRegister(BackupLastSuccess, BackupDuration, BackupSize, BackupFailures, BackupFailing,
		BackupVerifyLastSuccess, BackupVerifyFailures, BackupVerifyOK, BackupStale)
}
