package search

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Helpers of the benchmarks: the text cache and process measurements.

// textCache stores document texts as files: texts/012/doc012345.txt.
type textCache struct{ dir string }

func (tc textCache) path(id string) string {
	return filepath.Join(tc.dir, "texts", id[3:6], id+".txt")
}

func (tc textCache) source(_ context.Context, id string) (io.ReadCloser, error) {
	return os.Open(tc.path(id))
}

// ensureTexts generates the texts of documents 0..n-1 not yet cached.
func ensureTexts(b *testing.B, c *corpus, n int) textCache {
	tc := textCache{dir: benchDir(b)}
	countFile := filepath.Join(tc.dir, "texts.count")
	have := 0
	if s, err := os.ReadFile(countFile); err == nil {
		have, _ = strconv.Atoi(strings.TrimSpace(string(s)))
	}
	if have >= n {
		return tc
	}
	b.Logf("generating texts %d..%d into %s", have, n, tc.dir)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for w := range 2 {
		wg.Go(func() {
			for i := have + w; i < n; i += 2 {
				d := c.meta(i)
				p := tc.path(d.ID)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					errs <- err
					return
				}
				if err := os.WriteFile(p, []byte(c.content(i, d.Lang)), 0o644); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(countFile, []byte(strconv.Itoa(n)), 0o644); err != nil {
		b.Fatal(err)
	}
	return tc
}

// loadChunks sends documents 0..n-1 (metadata generated, text read from the
// cache) in chunks, reading ahead of the indexer by one chunk.
func loadChunks(c *corpus, tc textCache, n, chunk int) <-chan []Document {
	out := make(chan []Document, 1)
	go func() {
		defer close(out)
		for from := 0; from < n; from += chunk {
			docs := make([]Document, 0, chunk)
			for i := from; i < min(from+chunk, n); i++ {
				d := c.meta(i)
				text, err := os.ReadFile(tc.path(d.ID))
				if err != nil {
					panic(err)
				}
				d.Content = string(text)
				d.Size = int64(len(text)) * 3
				docs = append(docs, d)
			}
			out <- docs
		}
	}()
	return out
}

// resetPeakRSS resets the kernel's high-water mark of this process (Linux).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSMB returns VmHWM in MB, or 0 where unavailable.
func peakRSSMB() float64 { return float64(procStatusKB("VmHWM:")) / 1024 }

// procStatusKB returns a kB line of /proc/self/status (Linux), or 0.
func procStatusKB(key string) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), key); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return kb
		}
	}
	return 0
}

// cpuTime returns the CPU time (user and system) used by the process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return n
}
