package indexer

import (
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// Building an index from scratch allocates fast (analysed documents,
// in-memory segments, merges) while keeping little alive: 100–220 MB at
// 100 000 documents. With Go's default (a collection each time the heap
// doubles) the collector ran five times a second and took about a sixth
// of a build's CPU. relaxGC lets the heap grow to a fixed budget instead,
// so collections are rarer; it never collects more often than the default
// would: the limit follows twice the live heap when that is larger than
// the budget. The previous settings are restored after the build. An
// operator's own GOGC or GOMEMLIMIT is left alone.
//
// What it gains and costs is measured in docs/search.md ("Bulk builds
// through the server").

// gcFollow is how often the limit is compared with the live heap.
var gcFollow = 500 * time.Millisecond

// relaxGC applies a heap budget of budget bytes (≤ 0: none) and returns
// the function that restores the previous settings.
func relaxGC(budget int64, log *slog.Logger) (restore func()) {
	if budget <= 0 || os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	prevPercent := debug.SetGCPercent(-1)
	prevLimit := debug.SetMemoryLimit(budget)
	log.Debug("garbage collector relaxed for the index build", "budget", budget)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		t := time.NewTicker(gcFollow)
		defer t.Stop()
		limit := budget
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() != metrics.KindUint64 {
				continue
			}
			want := max(budget, 2*int64(sample[0].Value.Uint64()))
			if want != limit {
				limit = want
				debug.SetMemoryLimit(limit)
			}
		}
	})
	return func() {
		close(stop)
		wg.Wait()
		debug.SetMemoryLimit(prevLimit)
		debug.SetGCPercent(prevPercent)
	}
}
