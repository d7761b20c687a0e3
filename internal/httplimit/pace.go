// Package httplimit holds what the HTTP doors (internal/web, internal/dav)
// share to bound a request's cost: the paced body stream of upload routes.
package httplimit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/gofiber/fiber/v2"
)

// ErrTooSlow is returned by a paced body when the client sent less than
// the minimum in one window; the connection is then unusable.
var ErrTooSlow = errors.New("the client sent its body too slowly")

// Deadliner is the part of a connection a Pacer moves the read deadline on.
type Deadliner interface {
	SetReadDeadline(t time.Time) error
}

// Pacer is a request body that must deliver at least Min bytes in every
// Window: each time Min bytes have come in, the connection's read deadline
// moves one Window ahead. A large upload on a slow but steady line keeps
// going for hours; a client trickling a byte every few seconds is cut after
// one Window. The first deadline is set when the headers arrive.
type Pacer struct {
	R      io.Reader
	Conn   Deadliner
	Window time.Duration
	Min    int64
	Now    func() time.Time // the clock; time.Now in production

	got int64 // bytes since the deadline last moved
	eof bool
}

// drainLimit is how much of an unread body (a refused upload's) is read
// and dropped to keep the connection; past it the connection is closed.
const drainLimit = 256 << 10

// Finish makes the connection safe for the next request once the handler
// is done: the rest of an unread body is skipped if it is small, else it
// reports false and the connection must be closed. (Left in the stream,
// the body's bytes would be read as the next request.)
func (p *Pacer) Finish() bool {
	if p.eof {
		return true
	}
	n, err := io.Copy(io.Discard, io.LimitReader(p, drainLimit+1))
	return err == nil && n <= drainLimit && p.eof
}

func (p *Pacer) Read(b []byte) (int, error) {
	if p.eof {
		return 0, io.EOF
	}
	n, err := p.R.Read(b)
	if err == io.EOF {
		p.eof = true
	}
	p.got += int64(n)
	if p.got >= p.Min {
		p.got = 0
		if derr := p.Conn.SetReadDeadline(p.Now().Add(p.Window)); derr != nil && err == nil {
			err = fmt.Errorf("extend the read deadline: %w", derr)
		}
	}
	if err != nil && IsTimeout(err) {
		err = fmt.Errorf("%w: less than %d bytes in %s (%w)", ErrTooSlow, p.Min, p.Window, err)
	}
	return n, err
}

// IsTimeout reports whether err is a read deadline expiring.
func IsTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// local is the Fiber local holding the paced body of an upload route.
const local = "httplimit.body"

// SetBody installs the body upload handlers read (see Body).
func SetBody(c *fiber.Ctx, r io.Reader) { c.Locals(local, r) }

// Body is the request body as a stream, for handlers that accept uploads:
// the paced stream the limits middleware installed, else fasthttp's stream.
// With StreamRequestBody on, c.Body() would read a whole body into memory,
// so it is used only when fasthttp has no stream (the body came in with the
// headers, and is small).
func Body(c *fiber.Ctx) io.Reader {
	if r, ok := c.Locals(local).(io.Reader); ok {
		return r
	}
	if st := c.Context().RequestBodyStream(); st != nil {
		return st
	}
	return bytes.NewReader(c.Body())
}
