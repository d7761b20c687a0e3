package clock

import (
	"log/slog"
	"testing"
	"time"
)

// Without the testclock tag, the variable is ignored: a production binary's
// clock cannot be moved by its environment.
func TestProductionIgnoresTheFile(t *testing.T) {
	if testClock != nil {
		t.Skip("built with the testclock tag")
	}
	t.Setenv(EnvFile, t.TempDir()+"/clock")
	now := FromEnv(slog.New(slog.DiscardHandler))
	if d := time.Since(now()); d < -time.Second || d > time.Second {
		t.Fatalf("clock is %v away from the wall clock", d)
	}
}
