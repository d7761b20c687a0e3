//go:build testclock

package clock

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestFileClock(t *testing.T) {
	f := filepath.Join(t.TempDir(), "clock")
	t.Setenv(EnvFile, f)
	now := FromEnv(slog.New(slog.DiscardHandler))
	if d := time.Since(now()); d < -time.Second || d > time.Second {
		t.Fatalf("no file: %v away from the wall clock", d)
	}
	want := time.Date(2030, 6, 14, 0, 0, 0, 0, time.UTC)
	if err := os.WriteFile(f, []byte(want.Format(time.RFC3339Nano)), 0o600); err != nil {
		t.Fatal(err)
	}
	if d := now().Sub(want); d < 0 || d > 5*time.Second {
		t.Fatalf("clock says %v, want %v", now(), want)
	}
}
