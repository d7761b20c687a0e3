package dav

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"sync"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/httplimit"
)

// Fiber serves a net/http handler from Fiber without buffering: the request
// body is read from fasthttp's stream and the response flows through a pipe
// into SetBodyStream. Fiber's own adaptor holds whole bodies in memory
// (2 GB of RSS for a 1 GiB PUT); this one stays around a dozen megabytes.
// Small responses (under smallBody) are sent with a Content-Length instead,
// which old WebDAV clients prefer to chunked encoding.
func Fiber(h http.Handler, log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		// Request.Body() would read the whole stream into memory: the
		// paced stream (PUT) or the body the limits middleware read.
		body := &guardedBody{r: httplimit.Body(c)}
		who := new(acl.Principal)
		ctx := context.WithValue(c.UserContext(), principalSlot{}, who)
		cancel := func() {}
		inline := inlineMethods[c.Method()]
		if !inline {
			ctx, cancel = context.WithCancel(ctx)
		}
		req, err := newRequest(ctx, c, body)
		if err != nil {
			cancel()
			return c.Status(http.StatusBadRequest).SendString(err.Error())
		}
		w := &responseWriter{header: http.Header{}, ready: make(chan struct{}), inline: inline}
		serve := func() {
			defer cancel()
			defer func() {
				if v := recover(); v != nil {
					if a, ok := v.(abort); ok { // a response cut on purpose
						log.Warn("WebDAV response aborted", "method", req.Method, "path", req.URL.Path, "err", a.err)
						w.fail(a.err)
						return
					}
					log.Error("panic in WebDAV handler", "method", req.Method, "path", req.URL.Path, "panic", v, "stack", string(debug.Stack()))
					w.fail(fmt.Errorf("panic: %v", v))
					return
				}
				w.finish()
			}()
			h.ServeHTTP(w, req)
		}
		if inline {
			serve()
		} else {
			go serve()
		}
		<-w.ready
		if !who.Anonymous() {
			c.Locals(principalLocal, *who) // for the server's request log
		}
		// From here on fasthttp owns the connection again: the handler may
		// no longer touch the request body.
		if !body.close() {
			c.Response().Header.SetConnectionClose()
		}
		resp := &c.Response().Header
		for k, vs := range w.sent {
			switch k {
			case "Content-Length", "Transfer-Encoding", "Connection", "Date", "Server":
				continue
			case "Content-Type":
				resp.SetContentType(vs[0])
				continue
			}
			resp.Del(k) // the handler's value replaces a middleware's (CSP, nosniff)
			for _, v := range vs {
				resp.Add(k, v)
			}
		}
		c.Status(w.status)
		length := -1
		if n, err := strconv.Atoi(w.sent.Get("Content-Length")); err == nil && n >= 0 {
			length = n
		}
		switch {
		case c.Method() == fiber.MethodHead:
			if length >= 0 {
				resp.SetContentLength(length)
			}
			c.Response().SkipBody = true
		case w.pr == nil:
			c.Response().SetBody(w.buf.Bytes())
		default:
			c.Response().SetBodyStream(w.pr, length)
		}
		return nil
	}
}

// principalSlot is the context key of the *acl.Principal the handler fills
// in once it knows who is asking.
type principalSlot struct{}

// principalLocal is the Fiber local internal/web reads the acting
// principal from (its request log names the user).
const principalLocal = "principal"

// setPrincipal records who the request acts for, for the adapter.
func setPrincipal(ctx context.Context, p acl.Principal) {
	if slot, ok := ctx.Value(principalSlot{}).(*acl.Principal); ok {
		*slot = p
	}
}

// newRequest builds the net/http request the handler sees.
func newRequest(ctx context.Context, c *fiber.Ctx, body io.Reader) (*http.Request, error) {
	fc := c.Context()
	u, err := url.ParseRequestURI(string(fc.RequestURI()))
	if err != nil {
		return nil, fmt.Errorf("bad request URI: %w", err)
	}
	r, err := http.NewRequestWithContext(ctx, string(fc.Method()), u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("bad request: %w", err)
	}
	r.URL, r.RequestURI = u, string(fc.RequestURI())
	r.Host = string(fc.Host())
	r.RemoteAddr = fc.RemoteAddr().String()
	fc.Request.Header.VisitAll(func(k, v []byte) {
		r.Header.Add(string(k), string(v))
	})
	r.Header.Del("Content-Length")
	r.Header.Del("Transfer-Encoding")
	switch n := fc.Request.Header.ContentLength(); {
	case n >= 0:
		r.ContentLength = int64(n)
	case n == -1:
		r.ContentLength, r.TransferEncoding = -1, []string{"chunked"}
	default:
		r.ContentLength = -1
	}
	r.Body = io.NopCloser(body)
	if r.ContentLength == 0 {
		r.Body = http.NoBody
	}
	return r, nil
}

// guardedBody hands fasthttp's body stream to the handler goroutine until
// the response starts; after that reads fail rather than race with fasthttp,
// which reuses the stream for the next request.
type guardedBody struct {
	mu     sync.Mutex
	r      io.Reader
	closed bool
	eof    bool
}

var errBodyClosed = errors.New("request body read after the response started")

func (b *guardedBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, errBodyClosed
	}
	if b.eof {
		return 0, io.EOF
	}
	n, err := b.r.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

// drainLimit is how much unread body (a refused upload's) is skipped to keep
// the connection alive; beyond it the connection is closed instead.
const drainLimit = 256 << 10

// close ends the handler's access and reports whether the body was read to
// its end (or could be, cheaply), so the connection can serve another request.
func (b *guardedBody) close() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	if b.eof {
		return true
	}
	n, err := io.Copy(io.Discard, io.LimitReader(b.r, drainLimit+1))
	b.eof = err == nil && n <= drainLimit
	return b.eof
}

// smallBody is the largest response held in memory to be sent with a
// Content-Length; anything larger is streamed.
const smallBody = 64 << 10

// inlineMethods are served in Fiber's own goroutine, their response held
// in memory whatever its size: a status, an error or a multistatus of the
// members a change failed on, never a file or a listing. A goroutine per
// request, and a cancellable context (for which database/sql and the
// SQLite driver start a watcher per query), cost more than the small
// uploads and deletions of a sync app's first run do otherwise. Nothing
// cancelled the context before the handler returned anyway: fasthttp does
// not tell a client gone.
var inlineMethods = map[string]bool{
	http.MethodPut: true, http.MethodDelete: true, "MKCOL": true, "MOVE": true, "COPY": true,
	"PROPPATCH": true, "LOCK": true, "UNLOCK": true,
}

// responseWriter is the handler's http.ResponseWriter. It is used by the
// handler goroutine only; ready hands status, headers and body over.
type responseWriter struct {
	header      http.Header
	sent        http.Header // header as of WriteHeader
	status      int
	wroteHeader bool
	buf         bytes.Buffer
	pr          *io.PipeReader
	pw          *io.PipeWriter
	ready       chan struct{}
	signalled   bool
	inline      bool // served in Fiber's goroutine: never streamed
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(status int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader, w.status, w.sent = true, status, w.header.Clone()
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.pw != nil {
		return w.pw.Write(p)
	}
	if w.inline || w.buf.Len()+len(p) <= smallBody {
		return w.buf.Write(p)
	}
	w.stream()
	return w.pw.Write(p)
}

// Flush starts streaming what was written so far.
func (w *responseWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.pw == nil && !w.inline {
		w.stream()
	}
}

// stream switches to the pipe: fasthttp starts sending while the handler
// writes the rest.
func (w *responseWriter) stream() {
	w.pr, w.pw = io.Pipe()
	pending := bytes.Clone(w.buf.Bytes())
	w.buf.Reset()
	w.signal()
	if len(pending) > 0 {
		w.pw.Write(pending)
	}
}

func (w *responseWriter) signal() {
	if !w.signalled {
		w.signalled = true
		close(w.ready)
	}
}

// finish runs when the handler returns.
func (w *responseWriter) finish() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.pw != nil {
		w.pw.Close()
	}
	w.signal()
}

// fail ends a response after a panic: a 500 if nothing was sent yet,
// otherwise a cut stream, so the client cannot take it for complete.
func (w *responseWriter) fail(err error) {
	if w.pw != nil {
		w.pw.CloseWithError(err)
		w.signal()
		return
	}
	w.status, w.wroteHeader = http.StatusInternalServerError, true
	w.sent = http.Header{"Content-Type": {"text/plain; charset=utf-8"}}
	w.buf.Reset()
	msg := contentMessage(err)
	if msg == "" {
		msg = "internal error; see the server log"
	}
	w.buf.WriteString(msg + "\n")
	w.signal()
}
