//go:build testclock

package clock

import (
	"os"
	"strings"
	"sync"
	"time"
)

// In a test build, the file holds an RFC 3339 time T, written at wall time
// W (its modification time): the clock says T + (now - W), so time goes on
// from where the test put it. A missing or unreadable file is the wall
// clock.
func init() { testClock = fileClock }

func fileClock(file string) func() time.Time {
	var mu sync.Mutex
	var seen time.Time // the file's modification time when last read
	var offset time.Duration
	return func() time.Time {
		now := time.Now()
		st, err := os.Stat(file)
		if err != nil {
			return now
		}
		mu.Lock()
		defer mu.Unlock()
		if !st.ModTime().Equal(seen) {
			b, err := os.ReadFile(file)
			if err != nil {
				return now
			}
			t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
			if err != nil {
				return now
			}
			seen, offset = st.ModTime(), t.Sub(st.ModTime())
		}
		return now.Add(offset)
	}
}
