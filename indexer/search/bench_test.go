package search

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Benchmarks over the synthetic corpus. See docs/search.md for the
// commands and the figures measured.
//
//	NOTREASSO_BENCH_DOCS  corpus size (default 5000; the targets are for 100000)
//	NOTREASSO_BENCH_BATCH documents per batch and shard in BenchmarkIndex
//	                      (default: batchDocs)
//	NOTREASSO_BENCH_DIR   where texts and indexes are cached between runs
//	                      (default $TMPDIR/notreasso-bench; 100000 docs need
//	                      about 1.1 GB of texts plus the index)
//
// Texts are generated once into a cache of files, the way the indexer reads
// the extraction cache, so generation costs count in neither benchmark.

func benchDocs(b *testing.B) int {
	n := 5000
	if s := os.Getenv("NOTREASSO_BENCH_DOCS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 100 {
			b.Fatalf("NOTREASSO_BENCH_DOCS=%q: want a number >= 100", s)
		}
		n = v
	}
	return n
}

func benchDir(b *testing.B) string {
	d := os.Getenv("NOTREASSO_BENCH_DIR")
	if d == "" {
		d = filepath.Join(os.TempDir(), "notreasso-bench")
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		b.Fatal(err)
	}
	return d
}

// buildIndex indexes the corpus into a new index at dir and returns the
// bytes of text indexed. rebuild uses the bulk path (Rebuild, unsafe
// batches, one durable commit); otherwise live Apply calls.
func buildIndex(b *testing.B, dir string, c *corpus, tc textCache, n int, rebuild bool) int64 {
	ctx := context.Background()
	ix, err := Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	var rb *Rebuild
	if rebuild {
		if rb, err = ix.BeginRebuild(); err != nil {
			b.Fatal(err)
		}
	}
	var bytes int64
	for docs := range loadChunks(c, tc, n, 2000) {
		for _, d := range docs {
			bytes += int64(len(d.Content))
		}
		if rebuild {
			err = rb.Add(ctx, docs)
		} else {
			err = ix.Apply(ctx, docs, nil)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	if rebuild {
		if err := rb.Commit(ctx); err != nil {
			b.Fatal(err)
		}
	}
	return bytes
}

func BenchmarkIndex(b *testing.B) {
	n, c := benchDocs(b), newCorpus()
	tc := ensureTexts(b, c, n)
	if s := os.Getenv("NOTREASSO_BENCH_BATCH"); s != "" { // batch size experiments
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			b.Fatalf("NOTREASSO_BENCH_BATCH=%q: want a positive number", s)
		}
		defer func(n int) { batchDocs = n }(batchDocs)
		batchDocs = v
	}
	for _, mode := range []string{"rebuild", "apply"} {
		b.Run(mode, func(b *testing.B) {
			resetPeakRSS()
			stop := make(chan struct{})
			peakAnon := samplePeakAnon(stop)
			var total, cpu time.Duration
			var bytes, diskBytes int64
			for b.Loop() {
				dir, err := os.MkdirTemp(benchDir(b), "index-run-")
				if err != nil {
					b.Fatal(err)
				}
				start, cpu0 := time.Now(), cpuTime()
				bytes = buildIndex(b, dir, c, tc, n, mode == "rebuild")
				total += time.Since(start)
				cpu += cpuTime() - cpu0
				b.StopTimer()
				diskBytes = dirSize(dir)
				if !keepForSearch(b, dir, n, mode) {
					os.RemoveAll(dir)
				}
				b.StartTimer()
			}
			close(stop)
			runs := float64(b.N)
			b.ReportMetric(float64(n)*runs/total.Seconds(), "docs/s")
			// On a shared machine wall time includes waiting for a core:
			// CPU time per document says what two idle cores would do.
			b.ReportMetric(float64(cpu.Microseconds())/1000/(float64(n)*runs), "cpu-ms/doc")
			b.ReportMetric(float64(bytes)*runs/total.Seconds()/1e6, "textMB/s")
			b.ReportMetric(float64(bytes)/1e6, "textMB")
			b.ReportMetric(float64(diskBytes)/1e6, "indexMB")
			b.ReportMetric(peakRSSMB(), "peakRSS-MB")
			b.ReportMetric(float64(<-peakAnon), "peakAnon-MB")
		})
	}
}

// keepForSearch turns a rebuilt index into BenchmarkSearch's cached index
// when there is none yet, so one build serves both benchmarks.
func keepForSearch(b *testing.B, dir string, n int, mode string) bool {
	dst := filepath.Join(benchDir(b), fmt.Sprintf("index-%d-v%s", n, mappingVersion))
	marker := filepath.Join(dst, "bench-complete-v"+mappingVersion)
	if mode != "rebuild" {
		return false
	}
	if _, err := os.Stat(marker); err == nil {
		return false
	}
	os.RemoveAll(dst)
	if err := os.Rename(dir, dst); err != nil {
		return false
	}
	return os.WriteFile(marker, nil, 0o644) == nil
}

// samplePeakAnon samples the process's anonymous RSS (heap and stacks, not
// the mapped index files that VmHWM also counts) until stop is closed,
// then sends the peak in MB.
func samplePeakAnon(stop chan struct{}) <-chan int {
	out := make(chan int, 1)
	go func() {
		peak := 0
		for {
			if a := procStatusKB("RssAnon:") / 1024; a > peak {
				peak = a
			}
			select {
			case <-stop:
				out <- peak
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return out
}

// benchIndex returns a cached index of the corpus, building it if needed.
func benchIndex(b *testing.B, c *corpus, tc textCache, n int) string {
	dir := filepath.Join(benchDir(b), fmt.Sprintf("index-%d-v%s", n, mappingVersion))
	marker := filepath.Join(dir, "bench-complete-v"+mappingVersion)
	if _, err := os.Stat(marker); err == nil {
		return dir
	}
	os.RemoveAll(dir)
	b.Logf("building the %d-document index in %s", n, dir)
	start := time.Now()
	buildIndex(b, dir, c, tc, n, true)
	b.Logf("built in %v", time.Since(start))
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

// Query kinds of the mix, with their share in percent.
var queryMix = []struct {
	kind  string
	share int
}{{"word", 45}, {"words", 20}, {"phrase", 10}, {"filter", 10}, {"exclude", 5}, {"prefix", 10}}

// benchQueries makes n deterministic queries of a kind ("mixed": the mix).
// Words follow the corpus frequencies; phrases are cut from real texts.
func benchQueries(c *corpus, kind string, n, docs int) []Query {
	r := rand.New(rand.NewPCG(corpusSeed, 99))
	word := func() string { return c.QueryWord(r) }
	users := benchUsers()
	out := make([]Query, 0, n)
	for i := range n {
		k := kind
		if kind == "mixed" {
			p := r.IntN(100)
			for _, m := range queryMix {
				if p -= m.share; p < 0 {
					k = m.kind
					break
				}
			}
		}
		var text string
		switch k {
		case "word":
			text = word()
		case "words":
			text = word() + " " + word()
		case "phrase":
			j := r.IntN(docs)
			ws := strings.Fields(c.content(j, c.meta(j).Lang))
			k := r.IntN(len(ws) - 3)
			text = `"` + strings.Trim(strings.Join(ws[k:k+2+r.IntN(2)], " "), ".,") + `"`
		case "filter":
			text = word() + []string{" type:pdf", " tag:finances", " type:tableur", " tag:AG"}[r.IntN(4)]
		case "exclude":
			text = word() + " -" + word()
		case "prefix":
			w := []rune(c.FrenchNoun(r))
			text = string(w[:min(len(w), 3+r.IntN(3))])
		}
		out = append(out, Query{Text: text, Access: users[i%len(users)]})
	}
	return out
}

// benchUsers are grants of ordinary members: a few top folders and some
// sub-folders elsewhere (30 to 50% of the corpus), never everything.
func benchUsers() []Access {
	r := rand.New(rand.NewPCG(corpusSeed, 7))
	var users []Access
	for range 5 {
		var roots []string
		for _, t := range r.Perm(len(topFolderNames))[:6+r.IntN(4)] {
			roots = append(roots, topID(t))
		}
		for range 3 {
			roots = append(roots, subID(r.IntN(len(topFolderNames)), r.IntN(len(subFolderNames))))
		}
		users = append(users, Access{Roots: roots})
	}
	return users
}

func BenchmarkSearch(b *testing.B) {
	n, c := benchDocs(b), newCorpus()
	tc := ensureTexts(b, c, n)
	dir := benchIndex(b, c, tc, n)
	ix, err := Open(dir, slog.New(slog.DiscardHandler), WithTextSource(tc.source))
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	ctx := context.Background()
	for _, kind := range append([]string{"mixed"}, "word", "words", "phrase", "filter", "exclude", "prefix") {
		b.Run(kind, func(b *testing.B) {
			queries := benchQueries(c, kind, 1000, n)
			for _, q := range queries[:20] { // warm the caches
				if _, err := ix.Search(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			var durs []time.Duration
			var totals, snippets int
			b.ReportAllocs()
			cpu0 := cpuTime()
			for i := 0; b.Loop(); i++ {
				start := time.Now()
				res, err := ix.Search(ctx, queries[i%len(queries)])
				durs = append(durs, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				totals += int(res.Total)
				for _, h := range res.Hits {
					snippets += len(h.Snippets)
				}
			}
			// CPU time per query: on a shared machine wall times include
			// waiting for a core; CPU time is what the query itself costs.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(len(durs)), "cpu-ms/op")
			slices.Sort(durs)
			pct := func(p float64) float64 {
				return float64(durs[min(len(durs)-1, int(p*float64(len(durs))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.95), "p95-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(float64(totals)/float64(len(durs)), "total/op")
			b.ReportMetric(float64(snippets)/float64(len(durs)), "snippets/op")
		})
	}
}
