package httplimit

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

type deadlines struct{ set []time.Time }

func (d *deadlines) SetReadDeadline(t time.Time) error { d.set = append(d.set, t); return nil }

// chunks yields its pieces one Read at a time, then err.
type chunks struct {
	pieces []string
	err    error
}

func (c *chunks) Read(p []byte) (int, error) {
	if len(c.pieces) == 0 {
		return 0, c.err
	}
	n := copy(p, c.pieces[0])
	c.pieces = c.pieces[1:]
	return n, nil
}

// The deadline moves one window ahead each time Min bytes have arrived,
// not on every read: a trickle never earns more time.
func TestPacerMovesTheDeadlineOnProgressOnly(t *testing.T) {
	now := time.Date(2026, 12, 6, 6, 0, 0, 0, time.UTC)
	conn := &deadlines{}
	p := &Pacer{R: &chunks{pieces: []string{"ab", "cd", "e", "fghij", "k"}, err: io.EOF}, Conn: conn, Window: time.Minute, Min: 4,
		Now: func() time.Time { now = now.Add(time.Second); return now }}
	got, err := io.ReadAll(p)
	if err != nil || string(got) != "abcdefghijk" {
		t.Fatalf("read %q, %v", got, err)
	}
	// 2+2 → move; 1+5 → move; 1 → no move.
	if len(conn.set) != 2 {
		t.Fatalf("deadline moved %d times, want 2: %v", len(conn.set), conn.set)
	}
	if d := conn.set[1].Sub(conn.set[0]); d != time.Second {
		t.Errorf("second deadline %v after the first, want the clock's 1 s", d)
	}
}

// A read deadline expiring is reported as ErrTooSlow.
func TestPacerReportsTooSlow(t *testing.T) {
	p := &Pacer{R: &chunks{pieces: []string{"a"}, err: os.ErrDeadlineExceeded}, Conn: &deadlines{}, Window: time.Minute, Min: 1024, Now: time.Now}
	_, err := io.ReadAll(p)
	if !errors.Is(err, ErrTooSlow) || !strings.Contains(err.Error(), "1024 bytes in 1m0s") {
		t.Errorf("err = %v, want ErrTooSlow naming the pace", err)
	}
}
