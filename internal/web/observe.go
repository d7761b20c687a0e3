package web

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"notreasso/internal/metrics"
)

// observe counts every request in the Prometheus metrics of its door
// (api, dav, ui, share): requests, handler time, body bytes, and uploads in
// flight.
func (s *Server) observe(c *fiber.Ctx) error {
	door := metrics.Door(c.Path())
	method := methodLabel(c.Method())
	if method == fiber.MethodPut {
		metrics.UploadsInFlight.Inc()
		defer metrics.UploadsInFlight.Dec()
	}
	start := time.Now()
	err := c.Next()
	metrics.RequestDuration.WithLabelValues(door).Observe(time.Since(start).Seconds())
	status := c.Response().StatusCode()
	if err != nil {
		status, _ = errorCode(err)
	}
	metrics.Requests.WithLabelValues(door, method, strconv.Itoa(status)).Inc()
	if n := c.Request().Header.ContentLength(); n > 0 {
		metrics.BytesIn.WithLabelValues(door).Add(float64(n))
	}
	if err == nil && !c.Response().SkipBody {
		metrics.BytesOut.WithLabelValues(door).Add(float64(responseSize(c)))
	}
	return err
}

// methodLabel maps the method to a constant string: Fiber's strings alias
// request buffers that are reused, and labels must not grow without bound.
func methodLabel(m string) string {
	for _, known := range methods {
		if m == known {
			return known
		}
	}
	return "other"
}

// responseSize is the body length without reading a streamed body
// (Response.Body would load it into memory).
func responseSize(c *fiber.Ctx) int {
	r := c.Response()
	if r.IsBodyStream() {
		return max(r.Header.ContentLength(), 0)
	}
	return len(r.Body())
}

// metricsHandler serves /metrics in the Prometheus text format. Keep it
// off the public address: the reverse proxy in deploy/ refuses /metrics.
var metricsHandler = adaptor.HTTPHandler(metrics.Handler())
