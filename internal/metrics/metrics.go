// Package metrics defines Notre Asso's Prometheus metrics in one place, so
// every part of the server increments the same, documented series:
//
//	metrics.ExtractionFailures.WithLabelValues("pdf").Inc()
//	metrics.IndexLag.Set(float64(pending))
//	metrics.StorageErrors.WithLabelValues("s3", "put").Inc()
//
// The series live in Registry (not Prometheus' global default registry), which
// /metrics serves, together with the Go runtime and process collectors.
package metrics

import (
	"database/sql"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Doors through which requests come in: the label values of "door".
const (
	DoorAPI   = "api"   // JSON API, /api/…
	DoorDAV   = "dav"   // WebDAV, /dav/…
	DoorShare = "share" // public share links, /s/… and /share/…
	DoorSync  = "sync"  // the Nextcloud/ownCloud apps: /remote.php/…, /ocs/…, status.php, Login Flow v2
	DoorUI    = "ui"    // HTML pages, assets, health and metrics
)

// Doors lists every door, for pre-declaring series and for tests.
var Doors = []string{DoorAPI, DoorDAV, DoorShare, DoorSync, DoorUI}

// Door names the door a request path belongs to.
func Door(path string) string {
	switch {
	case path == "/api" || strings.HasPrefix(path, "/api/"):
		return DoorAPI
	case path == "/dav" || strings.HasPrefix(path, "/dav/"):
		return DoorDAV
	case strings.HasPrefix(path, "/s/") || strings.HasPrefix(path, "/share/"):
		return DoorShare
	case path == "/remote.php" || strings.HasPrefix(path, "/remote.php/") || strings.HasPrefix(path, "/ocs/") ||
		strings.HasSuffix(path, "/status.php") || strings.HasPrefix(path, "/index.php/login/v2") || strings.HasPrefix(path, "/login/v2"):
		return DoorSync
	}
	return DoorUI
}

// Registry holds every Notre Asso series plus the Go and process collectors.
var Registry = prometheus.NewRegistry()

var (
	// Requests counts finished HTTP requests by door, method and status code.
	Requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "notreasso_http_requests_total",
		Help: "HTTP requests served, by door (api, dav, sync, ui, share), method and status code.",
	}, []string{"door", "method", "code"})

	// RequestDuration is the time spent in the handler, by door. Streamed
	// downloads are sent after the handler returns: for them this is the
	// time to the first byte, not to the last.
	RequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "notreasso_http_request_duration_seconds",
		Help:    "Time to handle an HTTP request (to the first byte for streamed downloads), by door.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
	}, []string{"door"})

	// BytesIn counts request body bytes by door (as announced by
	// Content-Length; chunked bodies of unknown length are not counted).
	BytesIn = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "notreasso_http_request_bytes_total",
		Help: "Request body bytes received, by door (Content-Length of requests; chunked bodies not counted).",
	}, []string{"door"})

	// BytesOut counts response body bytes by door.
	BytesOut = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "notreasso_http_response_bytes_total",
		Help: "Response body bytes sent, by door.",
	}, []string{"door"})

	// UploadsInFlight is the number of uploads (PUT requests, any door)
	// being received right now.
	UploadsInFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "notreasso_uploads_in_flight",
		Help: "Uploads (PUT requests) being received right now.",
	})

	// IndexLag is how many journal entries the search indexer has not
	// processed yet; set by the indexer.
	IndexLag = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "notreasso_index_lag",
		Help: "Journal entries not yet processed by the search indexer.",
	})

	// ExtractionFailures counts documents whose text could not be
	// extracted, by format family (pdf, ooxml, odf, html, email…).
	ExtractionFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "notreasso_extraction_failures_total",
		Help: "Documents whose text extraction failed, by format.",
	}, []string{"format"})

	// Extractions counts the text extractions this server ran, by format
	// family; a text another server extracted is read, not extracted.
	Extractions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "notreasso_extractions_total",
		Help: "Text extractions run by this server, by format (texts another server extracted are reused).",
	}, []string{"format"})

	// StorageErrors counts failed blob store operations (a missing blob is
	// not an error), by backend (fs, s3) and operation (put, get, stat,
	// delete, list, ping).
	StorageErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "notreasso_storage_errors_total",
		Help: "Failed blob store operations, by backend and operation (missing blobs not counted).",
	}, []string{"backend", "op"})

	// ContentErrors counts file contents that could not be served: the
	// blob is missing or unreadable, or altered (its SHA-256 no longer
	// matches), by kind (missing, corrupt). Each one is also logged.
	ContentErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "notreasso_content_errors_total",
		Help: "File contents that could not be served: blob missing or unreadable (missing), or altered on disk (corrupt).",
	}, []string{"kind"})
)

// ContentErrorKinds are the label values of ContentErrors.
var ContentErrorKinds = []string{"missing", "corrupt"}

// StorageOps are the operation label values of StorageErrors.
var StorageOps = []string{"put", "get", "stat", "delete", "list", "ping", "recover"}

func init() {
	Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		Requests, RequestDuration, BytesIn, BytesOut, UploadsInFlight,
		IndexLag, ExtractionFailures, Extractions, StorageErrors, ContentErrors,
	)
	// Series that exist from the start read as 0 instead of missing, so
	// rate() and alerts work before the first event.
	for _, d := range Doors {
		BytesIn.WithLabelValues(d)
		BytesOut.WithLabelValues(d)
	}
	for _, k := range ContentErrorKinds {
		ContentErrors.WithLabelValues(k)
	}
}

// Handler serves the registry in the Prometheus text format.
func Handler() http.Handler {
	return promhttp.HandlerFor(Registry, promhttp.HandlerOpts{Registry: Registry})
}

// ObserveDB adds the database pools' statistics (open, in use, idle
// connections, waits) as go_sql_* series labelled db_name="read" and
// "write": with PostgreSQL, a pool exhausted under load shows there.
func ObserveDB(read, write *sql.DB) {
	Registry.MustRegister(collectors.NewDBStatsCollector(read, "read"), collectors.NewDBStatsCollector(write, "write"))
}
