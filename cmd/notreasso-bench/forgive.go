package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
)

// typoQuery is one query of the misspelt mix: words cut from a document
// the reader may see, as they are and with one slip in one word.
type typoQuery struct {
	right, typo string
	doc         string // the source document's file name
}

// typoQueries cuts n queries of three words from documents in the
// folders the reader may read (visible): three neighbouring words of 3
// letters or more, starting at one of the document's rarer words (as
// someone remembers a name or a place, so that the words typed right
// single the document out often enough to measure what a slip loses), one
// word of 5 letters or more given one slip (swap, drop, double or replace
// a letter), as in indexer/search's BenchmarkSearchTypos.
func typoQueries(n, docs int, visible func(folder int) bool) []typoQuery {
	g := proseGen()
	r := rand.New(rand.NewPCG(19, 2026))
	var out []typoQuery
	for len(out) < n {
		i := r.IntN(docs)
		if !visible(i / 1000) {
			continue
		}
		ws := strings.Fields(docText(i))[2:] // after "Document docNNNNNN"
		if len(ws) < 10 {
			continue
		}
		k, best := -1, 0
		for j, w := range ws[:len(ws)-6] {
			w = strings.ToLower(strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) }))
			if rank, ok := g.RareRank(w); ok && rank > best {
				k, best = j, rank
			}
		}
		if k < 0 {
			continue
		}
		var words []string
		for _, w := range ws[k:] {
			w = strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) })
			if len([]rune(w)) >= 3 && strings.IndexFunc(w, func(r rune) bool { return !unicode.IsLetter(r) }) < 0 {
				words = append(words, strings.ToLower(w))
			}
			if len(words) == 3 {
				break
			}
		}
		// The slip goes in the longest word: the likeliest to carry the
		// query (short function words are dropped or match everywhere).
		t := -1
		for j, w := range words {
			if len([]rune(w)) >= 5 && (t < 0 || len([]rune(w)) > len([]rune(words[t]))) {
				t = j
			}
		}
		if len(words) < 3 || t < 0 {
			continue
		}
		right := strings.Join(words, " ")
		words[t] = slip(r, words[t])
		out = append(out, typoQuery{right: right, typo: strings.Join(words, " "), doc: docToken(i) + ".txt"})
	}
	return out
}

// slip makes one typing mistake inside w (never on its first letter).
func slip(r *rand.Rand, w string) string {
	rs := []rune(w)
	p := 1 + r.IntN(len(rs)-2)
	switch r.IntN(4) {
	case 0:
		rs[p], rs[p+1] = rs[p+1], rs[p]
	case 1:
		rs = slices.Delete(rs, p, p+1)
	case 2:
		rs = slices.Insert(rs, p, rs[p])
	default:
		rs[p] = 'a' + rune((int(rs[p])-'a'+1+r.IntN(24))%26)
	}
	return string(rs)
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// suggestPrefixes are what people type before a suggestion shows, in a
// mix: 50% the beginning (2 to 6 letters) of a word of the documents,
// 30% the beginning of a file name (`doc` and 1 to 4 digits: up to 10 000
// names share the prefix), 20% of a folder name (`f` and 1 or 2 digits).
func suggestPrefixes(n, docs int) []string {
	g := proseGen()
	r := rand.New(rand.NewPCG(23, 2026))
	out := make([]string, n)
	for i := range out {
		switch p := r.IntN(100); {
		case p < 50:
			w := []rune(g.QueryWord(r))
			out[i] = string(w[:min(len(w), 2+r.IntN(5))])
		case p < 80:
			out[i] = docToken(r.IntN(docs))[:4+r.IntN(4)]
		default:
			out[i] = fmt.Sprintf("f%03d", r.IntN((docs+999)/1000))[:2+r.IntN(2)]
		}
	}
	return out
}

// hitNames runs a search as user and returns the names of the hits, in
// order, and the request's wall time.
func hitNames(ctx context.Context, srv *notreasso, user, pass, q string) ([]string, time.Duration, error) {
	t := time.Now()
	resp, err := request(ctx, "GET", srv.URL+"/api/v1/search?q="+url.QueryEscape(q), user, pass, nil, 0, nil, 200)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	var res struct {
		Hits []struct {
			Name string `json:"name"`
		} `json:"hits"`
	}
	err = json.NewDecoder(resp.Body).Decode(&res)
	took := time.Since(t)
	if err != nil {
		return nil, 0, fmt.Errorf("search %q: %w", q, err)
	}
	names := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		names[i] = h.Name
	}
	return names, took, nil
}

// percentiles formats p50 / p95 / p99 of lat (sorted in place).
func percentiles(lat []time.Duration) string {
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	return fmt.Sprintf("%s / %s / %s", ms(pct(0.50)), ms(pct(0.95)), ms(pct(0.99)))
}

// typoRun is what one run of the misspelt mix measured.
type typoRun struct {
	rightLat, typoLat            []time.Duration
	rightCPU, typoCPU            time.Duration // server CPU per query
	rightFound, typoFound, agree int
	hits                         [][]string // hit names: each query typed right, then misspelt
}

// runTypoMix runs each query of qs typed right, then misspelt, as the
// reader.
func runTypoMix(ctx context.Context, srv *notreasso, qs []typoQuery) (typoRun, error) {
	var t typoRun
	in3 := func(names []string, want string) bool {
		return want != "" && slices.Contains(names[:min(3, len(names))], want)
	}
	cpu := func() time.Duration { d, _ := srv.cpuTime(); return d }
	for _, q := range qs {
		c0 := cpu()
		right, d1, err := hitNames(ctx, srv, readerLogin, readerPassword, q.right)
		if err != nil {
			return t, err
		}
		c1 := cpu()
		typo, d2, err := hitNames(ctx, srv, readerLogin, readerPassword, q.typo)
		if err != nil {
			return t, err
		}
		t.rightCPU, t.typoCPU = t.rightCPU+c1-c0, t.typoCPU+cpu()-c1
		t.rightLat, t.typoLat = append(t.rightLat, d1), append(t.typoLat, d2)
		t.hits = append(t.hits, right, typo)
		if in3(right, q.doc) {
			t.rightFound++
		}
		if in3(typo, q.doc) {
			t.typoFound++
		}
		if len(right) > 0 && in3(typo, right[0]) {
			t.agree++
		}
	}
	t.rightCPU /= time.Duration(len(qs))
	t.typoCPU /= time.Duration(len(qs))
	return t, nil
}

// measureForgiving runs the misspelt mix and its queries typed right, and
// the suggestions, as the reader.
func (b *bench) measureForgiving(ctx context.Context, s *section, srv *notreasso) error {
	visible := func(f int) bool { m := f % 5; return m == 0 || m == 1 || m == 3 }
	qs := typoQueries(b.queries, b.docs, visible)
	t, err := runTypoMix(ctx, srv, qs)
	if err != nil {
		return err
	}
	pc := func(k int) string { return fmt.Sprintf("%.0f%%", 100*float64(k)/float64(len(qs))) }
	how := fmt.Sprintf("%d queries of three neighbouring words cut from a document the reader may see (`lecteur`, as above), one word (5 letters or more, the longest) with one slip: a swap, a drop, a doubled or a replaced letter", len(qs))
	s.add("misspelt mix: recall@3", fmt.Sprintf("%s typed with the slip, %s typed right (the source document among the first 3 hits)", pc(t.typoFound), pc(t.rightFound)), how)
	s.add("misspelt mix: first hit kept", pc(t.agree),
		"the first hit of the query typed right is among the first 3 of the misspelt one (the synthetic prose repeats its words, so three of them often fit many documents better than their source)")
	s.add("misspelt mix: latency p50 / p95 / p99", fmt.Sprintf("%s with the slip (server CPU %s per query) · %s typed right (%s)",
		percentiles(t.typoLat), ms(t.typoCPU), percentiles(t.rightLat), ms(t.rightCPU)),
		"`GET /api/v1/search?q=…` as `lecteur`, each misspelt query right after the same query typed right (typo tolerance on, as always)")

	cpu := func() time.Duration { d, _ := srv.cpuTime(); return d }
	var lat []time.Duration
	empty := 0
	prefixes := suggestPrefixes(b.queries, b.docs)
	// The server's CPU while no request runs (merging segments after the
	// upload, indexing): part of the CPU counted per request below.
	idle0, idleStart := cpu(), time.Now()
	if err := sleepCtx(ctx, 2*time.Second); err != nil {
		return err
	}
	idle := float64(cpu()-idle0) / float64(time.Since(idleStart))
	c0, t0 := cpu(), time.Now()
	for i, p := range prefixes {
		t := time.Now()
		resp, err := request(ctx, "GET", srv.URL+"/api/v1/suggest?q="+url.QueryEscape(p), readerLogin, readerPassword, nil, 0, nil, 200)
		if err != nil {
			return err
		}
		var out struct {
			Suggestions []json.RawMessage `json:"suggestions"`
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("suggest %q: %w", p, err)
		}
		if len(out.Suggestions) == 0 {
			empty++
		}
		if i >= 10 {
			lat = append(lat, time.Since(t))
		}
	}
	cpuUsed, wall := cpu()-c0, time.Since(t0)
	s.add("suggestions as you type p50 / p95 / p99", fmt.Sprintf("%s (server CPU %s per request; %.0f%% of a core busy with no request in the 2 s before, %s per request at that rate)",
		percentiles(lat), ms(cpuUsed/time.Duration(len(prefixes))), 100*idle, ms(time.Duration(idle*float64(wall))/time.Duration(len(prefixes)))),
		fmt.Sprintf("%d sequential `GET /api/v1/suggest?q=…` as `lecteur` after 10 warm-up requests: half the first 2–6 letters of a word of the documents, 30%% the start of a file name (`doc0`…`doc0123`: up to 10 000 names share it), 20%% of a folder name (`f0`, `f01`); %d of them offered nothing", len(lat), empty))
	return nil
}
