package indexer

import (
	"log/slog"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// gcSettings reads the GC percent and memory limit without changing them.
func gcSettings() (percent int, limit int64) {
	percent = debug.SetGCPercent(-1)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1)
}

func TestRelaxGC(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	defer func(d time.Duration) { gcFollow = d }(gcFollow)
	gcFollow = 10 * time.Millisecond
	log := slog.New(slog.DiscardHandler)
	prevPercent, prevLimit := gcSettings()

	const budget = 64 << 20
	restore := relaxGC(budget, log)
	if p, l := gcSettings(); p != -1 || l != budget {
		t.Fatalf("during a build: GC percent %d, limit %d; want -1 (off) and the budget %d", p, l, budget)
	}
	// More live heap than half the budget: the limit must follow twice the
	// live heap, or the collector would run all the time.
	live := make([][]byte, 0, 160)
	for range cap(live) {
		b := make([]byte, 1<<20)
		for i := range b {
			b[i] = 1
		}
		live = append(live, b)
	}
	runtime.GC()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, l := gcSettings()
		if l >= 2*160<<20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("with 160 MiB live the limit stayed at %d MiB, want at least 320", l>>20)
		}
		time.Sleep(10 * time.Millisecond)
	}
	runtime.KeepAlive(live)
	restore()
	if p, l := gcSettings(); p != prevPercent || l != prevLimit {
		t.Fatalf("after the build: GC percent %d, limit %d; want the previous %d, %d", p, l, prevPercent, prevLimit)
	}

	// The operator's own settings win.
	t.Setenv("GOGC", "200")
	relaxGC(budget, log)()
	if p, l := gcSettings(); p != prevPercent || l != prevLimit {
		t.Fatalf("with GOGC set: GC percent %d, limit %d changed", p, l)
	}
	// No budget: Go's defaults.
	t.Setenv("GOGC", "")
	restore = relaxGC(0, log)
	if p, l := gcSettings(); p != prevPercent || l != prevLimit {
		t.Fatalf("with no budget: GC percent %d, limit %d changed", p, l)
	}
	restore()
}
