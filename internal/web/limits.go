package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"notreasso/internal/dav"
	"notreasso/internal/httplimit"
)

// What one request may cost before anyone knows who sent it. Fiber does
// not enforce BodyLimit when StreamRequestBody is on (and reading a form
// field reads the whole stream), so bodies are bounded here, by route:
// upload routes stream without a size limit other than max_upload, every
// other route gets at most http.body_limit, refused before it is read.
// Every body, upload or not, must keep a minimum pace (http.body_window,
// http.min_body_bytes), and headers must arrive within http.header_timeout.

// uploadRoute is a method and a path pattern whose body is a file: "*"
// matches one segment, a final "**" any rest.
type uploadRoute struct {
	method  string
	pattern []string
}

// defaultUploadRoutes are the routes that receive files.
var defaultUploadRoutes = []uploadRoute{
	{fiber.MethodPut, pathSegments("/api/v1/files/**")},
	{fiber.MethodPut, pathSegments("/api/v1/uploads/*")},
	{fiber.MethodPost, pathSegments("/s/*/upload")},
	{fiber.MethodPut, pathSegments(dav.Prefix + "/**")},
}

func pathSegments(pattern string) []string { return strings.Split(strings.Trim(pattern, "/"), "/") }

// AcceptUploads declares a route whose body is a file, streamed to its
// handler with no size limit but the handler's own (max_upload). The
// handler must read it with httplimit.Body. Call before serving.
func (s *Server) AcceptUploads(method, pattern string) {
	s.uploadRoutes = append(s.uploadRoutes, uploadRoute{method, pathSegments(pattern)})
}

// isUpload matches like Fiber's router: path segments case-insensitively.
func (s *Server) isUpload(method, path string) bool {
	segs := pathSegments(path)
	for _, r := range s.uploadRoutes {
		if r.method == method && matchSegments(r.pattern, segs) {
			return true
		}
	}
	return false
}

func matchSegments(pattern, segs []string) bool {
	for i, p := range pattern {
		if p == "**" {
			return len(segs) > i
		}
		if i >= len(segs) || (p != "*" && !strings.EqualFold(p, segs[i])) {
			return false
		}
	}
	return len(segs) == len(pattern)
}

// applyLimits sets the connection-level bounds on the fasthttp server:
// the header deadline (ReadTimeout, from the first byte of a request), the
// first body window once the headers are in, no multipart parsing before
// the handler (fasthttp would read a whole multipart body into memory and
// temporary files for any route, even one that answers 403), and a 417 to
// "Expect: 100-continue" for a body that would be refused anyway.
func (s *Server) applyLimits() {
	s.uploadRoutes = append(s.uploadRoutes, defaultUploadRoutes...)
	srv := s.app.Server()
	srv.ReadTimeout = s.cfg.HTTP.HeaderTimeout
	srv.DisablePreParseMultipartForm = true
	srv.HeaderReceived = func(*fasthttp.RequestHeader) fasthttp.RequestConfig {
		return fasthttp.RequestConfig{ReadTimeout: s.cfg.HTTP.BodyWindow}
	}
	srv.ContinueHandler = func(h *fasthttp.RequestHeader) bool {
		path, _, _ := strings.Cut(string(h.RequestURI()), "?")
		return s.isUpload(string(h.Method()), path) || int64(h.ContentLength()) <= s.cfg.HTTP.BodyLimit
	}
}

// errBodyTooLarge is a body over http.body_limit on a route that takes no file.
var errBodyTooLarge = errors.New("request body too large")

// limitBodies is the middleware that bounds request bodies (see above).
func (s *Server) limitBodies(c *fiber.Ctx) error {
	fc := c.Context()
	var st io.Reader
	var pacer *httplimit.Pacer
	if raw := fc.RequestBodyStream(); raw != nil {
		pacer = &httplimit.Pacer{R: raw, Conn: fc.Conn(), Window: s.cfg.HTTP.BodyWindow, Min: s.cfg.HTTP.MinBodyBytes, Now: time.Now}
		st = pacer
	}
	if s.isUpload(c.Method(), c.Path()) {
		if pacer == nil {
			return c.Next()
		}
		httplimit.SetBody(c, pacer)
		err := c.Next()
		if !pacer.Finish() { // a refused upload's body, unread
			c.Response().Header.SetConnectionClose()
		}
		return err
	}
	limit := s.cfg.HTTP.BodyLimit
	n := int64(c.Request().Header.ContentLength())
	if n > limit {
		return s.refuseBody(c, limit)
	}
	if st == nil || n == 0 {
		return c.Next()
	}
	// Chunked bodies (n = -1) have no announced length: read at most one
	// byte more than the limit. The body is then held like Fiber would
	// without streaming, for form and JSON handlers.
	var buf bytes.Buffer
	buf.Grow(int(min(max(n, 4<<10), limit)) + 1)
	if _, err := io.Copy(&buf, io.LimitReader(st, limit+1)); err != nil {
		c.Response().Header.SetConnectionClose()
		if errors.Is(err, httplimit.ErrTooSlow) {
			return err
		}
		return fmt.Errorf("%w: reading the request body: %v", errBadRequest, err)
	}
	if int64(buf.Len()) > limit {
		return s.refuseBody(c, limit)
	}
	c.Request().SetBody(buf.Bytes())
	c.Request().Header.SetContentLength(buf.Len())
	return c.Next()
}

// refuseBody answers 413 without reading the body, and closes the
// connection: what is left of the body cannot be taken for a request.
func (s *Server) refuseBody(c *fiber.Ctx, limit int64) error {
	c.Response().Header.SetConnectionClose()
	return fmt.Errorf("%w: this request may carry at most %d bytes (only file uploads may be larger)", errBodyTooLarge, limit)
}

// List bounds for forms and JSON bodies: a 1 MiB body of "a,a,a…" must not
// become a million strings and a million database statements.
const (
	maxFormItems = 1000 // selected files for delete, move, copy, zip
	maxListItems = 200  // comma-separated lists: tags, groups
)

// errTooMany is a form or body listing more items than one request may.
var errTooMany = errors.New("too many items")

// splitList splits a comma-separated field into trimmed, non-empty items,
// refusing more than max of them.
func splitList(s string, max int) ([]string, error) {
	var out []string
	for len(s) > 0 {
		var item string
		item, s, _ = strings.Cut(s, ",")
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		if len(out) == max {
			return nil, fmt.Errorf("%w: at most %d at once", errTooMany, max)
		}
		out = append(out, item)
	}
	return out, nil
}
