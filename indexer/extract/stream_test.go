package extract

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"notreasso/indexer/extract/testdocs"
)

// frenchLine is typeset French: no-break spaces before high punctuation
// and in numbers, typographic quotes, a ligature, as NFKC must handle.
const frenchLine = "Le " + phrase + " est approuvé à l'unanimité\u00a0; la trésorière présente le budget\u00a0: " +
	"1\u202f250\u00a0€ pour l’année « écoulée », bilan ﬁnancier nº\u00a03.\n"

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// TestLargeTextStreams extracts a 500 MB text document: with the default
// limit the output stops at 10 MiB; with a 1 GiB limit all of it streams
// through while the heap stays small.
func TestLargeTextStreams(t *testing.T) {
	const size = 500 << 20
	doc := testdocs.RepeatedText(frenchLine, size)

	var out countingWriter
	start := time.Now()
	res, err := Extract(context.Background(), doc, size, "text/plain", "big.txt", &out, Limits{})
	t.Logf("500 MB with the default limit: %d bytes written in %s", out.n, time.Since(start).Round(time.Millisecond))
	if err != nil || res.Status != StatusOK || !res.Truncated || out.n > DefaultMaxTextBytes || out.n < DefaultMaxTextBytes-utf8.UTFMax {
		t.Fatalf("default limit: %+v, %v, %d bytes; want ok, truncated at %d", res, err, out.n, DefaultMaxTextBytes)
	}

	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	start = time.Now()
	out = countingWriter{}
	res, err = Extract(context.Background(), doc, size, "text/plain", "big.txt", &out, Limits{MaxTextBytes: 1 << 30})
	close(stop)
	<-sampled
	took := time.Since(start)
	wantBytes := int64(len(norm.NFKC.String(frenchLine))) * size / int64(len(frenchLine))
	t.Logf("500 MB streamed in %s (%.0f MB/s), peak HeapInuse %d MiB", took.Round(time.Millisecond), float64(size)/1e6/took.Seconds(), peak.Load()>>20)
	if err != nil || res.Status != StatusOK || res.Truncated {
		t.Fatalf("1 GiB limit: %+v, %v", res, err)
	}
	if diff := out.n - wantBytes; diff < -64 || diff > 64 {
		t.Errorf("wrote %d bytes, want about %d", out.n, wantBytes)
	}
	if peak.Load() > 64<<20 {
		t.Errorf("peak HeapInuse %d MiB, want < 64 MiB", peak.Load()>>20)
	}
}

func TestTruncationKeepsRunes(t *testing.T) {
	text := strings.Repeat("é", 100)
	for limit := int64(1); limit <= 12; limit++ {
		var out bytes.Buffer
		res, err := Extract(context.Background(), strings.NewReader(text), int64(len(text)), "text/plain", "", &out, Limits{MaxTextBytes: limit})
		if err != nil || !res.Truncated || int64(out.Len()) > limit || !utf8.Valid(out.Bytes()) {
			t.Errorf("limit %d: %+v, %v, %q", limit, res, err, out.String())
		}
	}
}

// slowReader delays every read: an extraction that outlives its timeout.
type slowReader struct{ r io.ReaderAt }

func (s slowReader) ReadAt(p []byte, off int64) (int, error) {
	time.Sleep(50 * time.Millisecond)
	return s.r.ReadAt(p[:min(len(p), 16)], off)
}

func TestTimeoutAndCancel(t *testing.T) {
	text := strings.Repeat("Le "+phrase+".\n", 10_000)
	start := time.Now()
	res, err := Extract(context.Background(), slowReader{strings.NewReader(text)}, int64(len(text)), "text/plain", "", io.Discard, Limits{Timeout: 300 * time.Millisecond})
	if err != nil || res.Status != StatusFailed || !strings.Contains(res.Reason, "timeout") || time.Since(start) > 2*time.Second {
		t.Errorf("timeout: %+v, %v after %s", res, err, time.Since(start))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	res, err = Extract(ctx, slowReader{strings.NewReader(text)}, int64(len(text)), "text/plain", "", io.Discard, Limits{})
	if !errors.Is(err, context.DeadlineExceeded) || res.Status != StatusFailed {
		t.Errorf("cancelled by caller: %+v, %v; want a context error", res, err)
	}
}

// failingWriter is a caller's writer that breaks.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterErrorIsReturned(t *testing.T) {
	text := strings.Repeat("Le "+phrase+".\n", 10_000)
	res, err := Extract(context.Background(), strings.NewReader(text), int64(len(text)), "text/plain", "", failingWriter{}, Limits{})
	if err == nil || !strings.Contains(err.Error(), "disk full") || res.Status != StatusFailed {
		t.Errorf("Extract = %+v, %v; want the writer's error", res, err)
	}
	path := writeFile(t, "pv.txt", []byte(text))
	exe, _ := os.Executable()
	res, err = RunIsolated(context.Background(), exe, []string{"extract"}, path, "text/plain", "pv.txt", failingWriter{}, Limits{})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("RunIsolated = %+v, %v; want the writer's error", res, err)
	}
}
