package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// docsSections fills a server with b.docs small documents through the API,
// then measures search (if this build has it) and the start time.
func (b *bench) docsSections(ctx context.Context) []*section {
	search := &section{ID: "search", Title: fmt.Sprintf("Search at %d documents: indexing throughput and query latency", b.docs)}
	start := &section{ID: "start", Title: fmt.Sprintf("Start time and memory with %d documents", b.docs)}
	fail := func(err error) []*section {
		for _, s := range []*section{search, start} {
			if s.Skipped == "" {
				s.Skipped = "failed: " + err.Error()
			}
		}
		return []*section{search, start}
	}
	t0 := time.Now()
	srv, err := startNotreasso(ctx, b, "docs", filepath.Join(b.dir, "docs"))
	if err != nil {
		return fail(err)
	}
	defer srv.stop()
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
	start.add("filling: uploading the documents", fmt.Sprintf("%d in %s: %.0f documents/s", b.docs, upTook.Round(100*time.Millisecond), float64(b.docs)/upTook.Seconds()),
		fmt.Sprintf("`PUT /api/v1/files/docs/fNNN/docNNNNNN.txt`, ~1.2 KB of French/English text each, %d parallel clients", b.workers))

	if searchable {
		if err := b.measureSearch(ctx, search, srv, upStart); err != nil {
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
	return []*section{search, start}
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
	return b.parallel(ctx, b.docs, func(i int) error {
		text := docText(i)
		resp, err := request(ctx, "PUT", apiURL(srv.URL, docPath(i)), "admin", adminPassword, strings.NewReader(text), int64(len(text)), nil, 200, 201)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return err
	})
}

// found reports whether a search for q lists the document named by token.
func found(ctx context.Context, srv *notreasso, q, token string) (bool, time.Duration, error) {
	t := time.Now()
	resp, err := request(ctx, "GET", srv.URL+"/api/v1/search?q="+url.QueryEscape(q), "admin", adminPassword, nil, 0, nil, 200)
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
	s.add("indexing throughput", fmt.Sprintf("%.0f documents/s (%d documents searchable %s after the first upload)", float64(b.docs)/took.Seconds(), b.docs, took.Round(100*time.Millisecond)),
		"upload as in *start time* below, then `GET /api/v1/search?q=docNNNNNN` until the last document and 20 random others are found")
	var lat []time.Duration
	qs := queries(b.queries)
	peak, err := srv.measured(func() error {
		for i, q := range qs {
			_, d, err := found(ctx, srv, q, "")
			if err != nil {
				return err
			}
			if i >= 10 { // the first queries warm the caches
				lat = append(lat, d)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	s.add("search latency p50 / p95 / p99", fmt.Sprintf("%s / %s / %s", ms(pct(0.50)), ms(pct(0.95)), ms(pct(0.99))),
		fmt.Sprintf("%d sequential `GET /api/v1/search?q=…` as admin (words, word pairs, phrases from the corpus vocabulary), after 10 warm-up queries", len(lat)))
	s.add("server peak RSS while searching", mib(peak), "VmHWM, reset before the queries")
	return nil
}
