package search

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
)

// typoQueries makes n queries of two or three words taken together from
// one document's text, one word (5 letters or more) with one slip (swap,
// drop, double or replace a letter), and the document they come from.
func typoQueries(c *corpus, n, docs int) ([]Query, []string, []string) {
	r := rand.New(rand.NewPCG(corpusSeed, 1919))
	var qs []Query
	var want, originals []string
	for len(qs) < n {
		j := r.IntN(docs)
		m := c.meta(j)
		ws := strings.Fields(c.content(j, m.Lang))
		if len(ws) < 10 {
			continue
		}
		k := r.IntN(len(ws) - 3)
		words := make([]string, 0, 3)
		for _, w := range ws[k : k+3] {
			w = strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) })
			if len([]rune(w)) >= 3 {
				words = append(words, w)
			}
		}
		t := -1
		for i, w := range words {
			if len([]rune(w)) >= 5 && strings.IndexFunc(w, func(r rune) bool { return !unicode.IsLetter(r) }) < 0 {
				t = i
				break
			}
		}
		if len(words) < 2 || t < 0 {
			continue
		}
		originals = append(originals, strings.Join(words, " "))
		rs := []rune(words[t])
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
		words[t] = string(rs)
		qs = append(qs, Query{Text: strings.Join(words, " "), Access: Access{All: true}, Limit: 10})
		want = append(want, m.ID)
	}
	return qs, want, originals
}

// BenchmarkSearchTypos: misspelt queries, recall@3 (the first hit of the
// query typed right is among the first three) and latency, with typo tolerance by our dictionary
// pass, by bleve's FuzzyQuery, and without (Exact); "original" is the
// same queries without the typo.
func BenchmarkSearchTypos(b *testing.B) {
	n, c := benchDocs(b), newCorpus()
	tc := ensureTexts(b, c, n)
	dir := benchIndex(b, c, tc, n)
	ix, err := Open(dir, slog.New(slog.DiscardHandler), WithTextSource(tc.source))
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	ctx := context.Background()
	queries, _, originals := typoQueries(c, 300, n)
	// The synthetic corpus repeats its words, so two or three of them
	// rarely single out the document they were cut from (2% of the
	// queries without typo have it in their first three). What is
	// measured instead: the first hit of the query as it should have been
	// typed is among the first three of the misspelt one.
	want := make([]string, len(queries))
	for i, q := range queries {
		q.Text, q.Exact = originals[i], true
		res, err := ix.Search(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Hits) > 0 {
			want[i] = res.Hits[0].ID
		}
	}
	for _, mode := range []string{"original", "dictionary-8", "dictionary-16", "fuzzyquery", "exact"} {
		b.Run(mode, func(b *testing.B) {
			fuzzyWithQuery = mode == "fuzzyquery"
			keep := maxFuzzyTerms
			if _, n, ok := strings.Cut(mode, "-"); ok {
				maxFuzzyTerms, _ = strconv.Atoi(n)
			}
			defer func() { fuzzyWithQuery, maxFuzzyTerms = false, keep }()
			var durs []time.Duration
			found := 0
			cpu0 := cpuTime()
			for i := 0; b.Loop(); i++ {
				q := queries[i%len(queries)]
				q.Exact = mode == "exact"
				if mode == "original" {
					q.Text, q.Exact = originals[i%len(queries)], true
				}
				start := time.Now()
				res, err := ix.Search(ctx, q)
				durs = append(durs, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				for _, h := range res.Hits[:min(3, len(res.Hits))] {
					if h.ID != "" && h.ID == want[i%len(queries)] {
						found++
					}
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(len(durs)), "cpu-ms/op")
			slices.Sort(durs)
			b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(durs[min(len(durs)-1, len(durs)*95/100)].Microseconds())/1000, "p95-ms")
			b.ReportMetric(float64(found)/float64(len(durs)), "recall@3")
		})
	}
}
