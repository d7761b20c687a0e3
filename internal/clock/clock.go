// Package clock is where the server gets the time its permission checks,
// terms of office and journal read: the wall clock. End-to-end tests of
// things that happen at a date (a term of office ending) need to move it;
// they build the binary with the testclock tag (see testclock.go), which a
// release build never has, so no setting can move a production server's
// clock.
package clock

import (
	"log/slog"
	"os"
	"time"
)

// EnvFile names the file a test binary reads its time from.
const EnvFile = "NOTREASSO_TEST_CLOCK_FILE"

// FromEnv returns the server's clock: time.Now, or in a binary built with
// the testclock tag and EnvFile set, the time that file says.
func FromEnv(log *slog.Logger) func() time.Time {
	f := os.Getenv(EnvFile)
	if f == "" {
		return time.Now
	}
	if testClock == nil {
		log.Warn("ignoring " + EnvFile + ": this binary was built without the testclock tag (test builds only)")
		return time.Now
	}
	log.Warn("the server's clock is read from a file (a test build)", "file", f)
	return testClock(f)
}

// testClock is set by testclock.go in test builds only.
var testClock func(file string) func() time.Time
