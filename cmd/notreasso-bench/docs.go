package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// docsSections fills a server with b.docs small documents through the API,
// then measures search (if this build has it) and the start time on
// SQLite, then search again after moving the installation to PostgreSQL.
func (b *bench) docsSections(ctx context.Context) []*section {
	search := &section{ID: "search", Title: fmt.Sprintf("Search at %d documents: indexing throughput and query latency", b.docs)}
	start := &section{ID: "start", Title: fmt.Sprintf("Start time and memory with %d documents", b.docs)}
	fail := func(err error) []*section {
		pg := b.pgSearchSection()
		pg.Skipped = "the sections above failed"
		for _, s := range []*section{search, start} {
			if s.Skipped == "" {
				s.Skipped = "failed: " + err.Error()
			}
		}
		return []*section{search, start, pg}
	}
	t0 := time.Now()
	srv, err := startNotreasso(ctx, b, "docs", filepath.Join(b.dir, "docs"))
	if err != nil {
		return fail(err)
	}
	defer func() { srv.stop() }() // the process running at the end, after restarts
	searchable, reason, err := b.probeSearch(ctx, srv)
	if err != nil {
		return fail(err)
	}
	if !searchable {
		search.Skipped = reason
	}

	upStart := time.Now()
	if err := b.uploadDocs(ctx, srv); err != nil {
		return fail(err)
	}
	upTook := time.Since(upStart)
	start.add("filling: uploading the documents", fmt.Sprintf("%d (%s of text) in %s: %.0f documents/s", b.docs, mib(b.textBytes), upTook.Round(100*time.Millisecond), float64(b.docs)/upTook.Seconds()),
		fmt.Sprintf("`PUT /api/v1/files/docs/fNNN/docNNNNNN.txt`, 2–20 KB of French/English prose each, %d parallel clients, while the server indexes them", b.workers))

	if searchable {
		if err := b.measureSearch(ctx, search, srv, upStart); err != nil {
			search.Skipped = "failed: " + err.Error()
		} else if err := b.reindexStored(ctx, search, srv); err != nil {
			search.Skipped = "failed: " + err.Error()
		}
		search.Took = time.Since(t0)
	}

	t1 := time.Now()
	var startups []time.Duration
	for range 3 {
		if err := srv.restart(ctx); err != nil {
			return fail(err)
		}
		startups = append(startups, srv.startup)
	}
	sorted := slices.Clone(startups)
	slices.Sort(sorted)
	list := make([]string, len(startups))
	for i, d := range startups {
		list[i] = ms(d)
	}
	start.add("start time", fmt.Sprintf("median %s (runs: %s)", ms(sorted[1]), strings.Join(list, ", ")),
		"SIGTERM, then `notreasso serve` process start → first `GET /readyz` 200, polled every 5 ms; 3 restarts, warm page cache")
	time.Sleep(2 * time.Second)
	rss, _, err := srv.memory()
	if err != nil {
		return fail(err)
	}
	start.add("idle RSS after start", mib(rss), "VmRSS 2 s after /readyz")
	start.Took = time.Since(t1) + upTook

	t2 := time.Now()
	pg := b.pgSearchSection()
	if search.Skipped != "" {
		pg.Skipped = "the search section above did not run"
	} else {
		pg = b.searchPostgres(ctx, srv)
	}
	pg.Took = time.Since(t2)
	return []*section{search, start, pg}
}

// probeSearch tells whether this build answers /api/v1/search.
func (b *bench) probeSearch(ctx context.Context, srv *notreasso) (bool, string, error) {
	resp, err := request(ctx, "GET", srv.URL+"/api/v1/search?q=association", "admin", adminPassword, nil, 0, nil, 200, 400, 404, 405, 500, 501, 503)
	if err != nil {
		return false, "", err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return false, fmt.Sprintf("`GET /api/v1/search?q=association` answered %s: search is not in this build yet", resp.Status), nil
	}
	return true, "", nil
}

func (b *bench) uploadDocs(ctx context.Context, srv *notreasso) error {
	folders := (b.docs + 999) / 1000
	if err := b.parallel(ctx, folders, func(i int) error {
		resp, err := request(ctx, "POST", fmt.Sprintf("%s/api/v1/folders/docs/f%03d?parents=1", srv.URL, i), "admin", adminPassword, nil, 0, nil, 201, 409)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}); err != nil {
		return err
	}
	var textBytes atomic.Int64
	defer func() { b.textBytes = textBytes.Load() }()
	return b.parallel(ctx, b.docs, func(i int) error {
		text := docText(i)
		textBytes.Add(int64(len(text)))
		resp, err := request(ctx, "PUT", apiURL(srv.URL, docPath(i)), "admin", adminPassword, strings.NewReader(text), int64(len(text)), nil, 200, 201)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return err
	})
}

// found reports whether a search for q by admin lists the document named
// by token.
func found(ctx context.Context, srv *notreasso, q, token string) (bool, time.Duration, error) {
	return foundAs(ctx, srv, "admin", adminPassword, q, token)
}

func foundAs(ctx context.Context, srv *notreasso, user, pass, q, token string) (bool, time.Duration, error) {
	t := time.Now()
	resp, err := request(ctx, "GET", srv.URL+"/api/v1/search?q="+url.QueryEscape(q), user, pass, nil, 0, nil, 200)
	if err != nil {
		return false, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	took := time.Since(t)
	return token != "" && strings.Contains(string(body), token), took, err
}

func (b *bench) measureSearch(ctx context.Context, s *section, srv *notreasso, upStart time.Time) error {
	// Indexed when the last document and a sample of others are findable.
	r := rand.New(rand.NewPCG(3, 2026))
	pending := []int{b.docs - 1}
	for range 20 {
		pending = append(pending, r.IntN(b.docs))
	}
	deadline := time.Now().Add(10 * time.Minute)
	for len(pending) > 0 {
		ok, _, err := found(ctx, srv, docToken(pending[0]), docToken(pending[0]))
		if err != nil {
			return err
		}
		if ok {
			pending = pending[1:]
			continue
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not found by search 10 minutes after upload", docToken(pending[0]))
		}
		time.Sleep(200 * time.Millisecond)
	}
	took := time.Since(upStart)
	s.add("uploading and indexing", fmt.Sprintf("%.0f documents/s (%d documents searchable %s after the first upload)", float64(b.docs)/took.Seconds(), b.docs, took.Round(100*time.Millisecond)),
		"upload as in *filling* below (bounded by two `fsync`s per upload), then `GET /api/v1/search?q=docNNNNNN` until the last document and 20 random others are found")
	granted, err := b.reader(ctx, srv)
	if err != nil {
		return err
	}
	busy, busyCPU, idle, err := waitIdle(ctx, srv, 15*time.Minute)
	if err != nil {
		return err
	}
	settled := fmt.Sprintf("%s more, %s of CPU", busy.Round(time.Second), busyCPU.Round(100*time.Millisecond))
	if !idle {
		settled += "; still busy when the queries started (the figures below include that work)"
	}
	s.add("background work after the upload", settled,
		"once every document is searchable the server keeps working in the background (the search index, for one, merges its segments): the queries below start when it has used under 5% of a core for 3 s in a row (at most 15 minutes)")
	qs := queries(b.queries, b.docs)
	var mix mixRun
	peak, err := srv.measured(func() (err error) {
		mix, err = runMix(ctx, srv, qs)
		return err
	})
	if err != nil {
		return err
	}
	s.add("search latency p50 / p95 / p99", fmt.Sprintf("%s (server CPU %s per query)", percentiles(mix.lat), ms(mix.cpu)),
		fmt.Sprintf("%d sequential `GET /api/v1/search?q=…` (20 hits with snippets, facets) as `%s`, a guest who may read %d of the %d folders (permission filter on), "+
			"after 10 warm-up queries; 45%% one word, 20%% two, 10%% phrases, 10%% `word folder:fNNN`, 5%% `word -word`, 10%% name prefixes", len(mix.lat), readerLogin, granted, (b.docs+999)/1000))
	s.add("server peak RSS while searching", mib(peak), "VmHWM, reset before the queries")
	return b.measureForgiving(ctx, s, srv)
}

// mixRun is what one run of the query mix measured.
type mixRun struct {
	lat  []time.Duration // after the warm-up queries, sorted by percentiles
	cpu  time.Duration   // server CPU per query, warm-up included
	hits [][]string      // each query's hit names, in order
}

// runMix runs the query mix qs sequentially as the reader (the first 10
// queries warm the caches and are not timed).
func runMix(ctx context.Context, srv *notreasso, qs []string) (mixRun, error) {
	var m mixRun
	cpu0, err := srv.cpuTime()
	if err != nil {
		return m, err
	}
	for i, q := range qs {
		names, d, err := hitNames(ctx, srv, readerLogin, readerPassword, q)
		if err != nil {
			return m, err
		}
		m.hits = append(m.hits, names)
		if i >= 10 {
			m.lat = append(m.lat, d)
		}
	}
	cpu1, err := srv.cpuTime()
	if err != nil {
		return m, err
	}
	m.cpu = (cpu1 - cpu0) / time.Duration(len(qs))
	return m, nil
}

const (
	readerLogin    = "lecteur"
	readerPassword = "bench-reader-password"
)

// reader creates a guest account that may read 40% of the document
// folders (every fifth folder from 0, 1 and 3), so searches go through the
// permission filter; it returns how many folders it may read.
func (b *bench) reader(ctx context.Context, srv *notreasso) (int, error) {
	body := fmt.Sprintf(`{"login":%q,"password":%q,"role":"guest"}`, readerLogin, readerPassword)
	resp, err := request(ctx, "POST", srv.URL+"/api/v1/admin/users", "admin", adminPassword, strings.NewReader(body), int64(len(body)),
		map[string]string{"Content-Type": "application/json"}, 200, 201)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	n := 0
	for f := range (b.docs + 999) / 1000 {
		if m := f % 5; m != 0 && m != 1 && m != 3 {
			continue
		}
		grant := fmt.Sprintf(`{"principal":"user:%s","role":"viewer"}`, readerLogin)
		resp, err := request(ctx, "POST", fmt.Sprintf("%s/api/v1/grants/docs/f%03d", srv.URL, f), "admin", adminPassword, strings.NewReader(grant), int64(len(grant)),
			map[string]string{"Content-Type": "application/json"}, 200, 201)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		n++
	}
	return n, nil
}

// reindexStored measures indexing alone, through the real server: with the
// documents stored, the index and the extracted texts are deleted and the
// server started again; it builds a new index generation from the
// repository (extracting every document from the blob store again),
// commits it, and answers /readyz once it has caught up.
func (b *bench) reindexStored(ctx context.Context, s *section, srv *notreasso) error {
	srv.stop()
	for _, d := range []string{"index", "text"} {
		if err := os.RemoveAll(filepath.Join(srv.Data, d)); err != nil {
			return err
		}
	}
	if err := srv.startWithin(ctx, 30*time.Minute); err != nil {
		return err
	}
	took := srv.startup
	_, peak, err := srv.memory()
	if err != nil {
		return err
	}
	for _, i := range []int{0, b.docs / 2, b.docs - 1} {
		ok, _, err := found(ctx, srv, docToken(i), docToken(i))
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s not found after the server re-indexed", docToken(i))
		}
	}
	size, err := dirSize(filepath.Join(srv.Data, "index"))
	if err != nil {
		return err
	}
	s.add("indexing throughput, stored documents", fmt.Sprintf("%.0f documents/s (%d documents in %s)", float64(b.docs)/took.Seconds(), b.docs, took.Round(100*time.Millisecond)),
		"server stopped, `data/index` and `data/text` deleted, server started: process start → `/readyz` 200 (the indexer has built a new index generation from the repository, extracting every document from the blob store again, and committed it); 3 documents then checked by search")
	s.add("server peak RSS while indexing", mib(peak), "VmHWM of that server process from its start to `/readyz` 200 (target ≤ 1 GB)")
	s.add("index size on disk", fmt.Sprintf("%s for %s of text", mib(size), mib(b.textBytes)), "`du` of `data/index` after the re-index (the text cache, `data/text`, holds the extracted texts apart)")
	return nil
}

// dirSize is the bytes of the regular files under dir.
func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n += info.Size()
		return nil
	})
	return n, err
}

// waitIdle waits until srv has used less than 5% of a core for 3 s in a
// row (the work that follows a bulk upload, such as index segment merges), or until
// limit. It returns how long it waited, the CPU srv used meanwhile, and
// whether it became idle. Queries measured during that work would measure
// it, not the queries.
func waitIdle(ctx context.Context, srv *notreasso, limit time.Duration) (time.Duration, time.Duration, bool, error) {
	return waitIdleCPU(ctx, srv.cpuTime, limit)
}

// waitIdleCPU is waitIdle for the processes whose CPU time cpu reads.
func waitIdleCPU(ctx context.Context, cpu func() (time.Duration, error), limit time.Duration) (time.Duration, time.Duration, bool, error) {
	const window = 3 * time.Second
	start := time.Now()
	first, err := cpu()
	if err != nil {
		return 0, 0, false, err
	}
	prev := first
	for {
		select {
		case <-ctx.Done():
			return 0, 0, false, ctx.Err()
		case <-time.After(window):
		}
		cur, err := cpu()
		if err != nil {
			return 0, 0, false, err
		}
		if cur-prev < window/20 {
			return time.Since(start) - window, cur - first, true, nil
		}
		if time.Since(start) > limit {
			return time.Since(start), cur - first, false, nil
		}
		prev = cur
	}
}
