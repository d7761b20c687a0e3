package search

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"sort"
	"sync"
	"unicode/utf8"
)

// Snippets are built from the extracted text (TextSource), not from the
// index: storing contents with term vectors in bleve would double the index
// and slow indexing. The text is analysed with the index's own analyzers and
// compared term by term with the analysed query, so "statuts" marks
// "statut" and "reunion" marks "Réunion" exactly as the index matched them.
const (
	maxFragments  = 3
	fragmentRunes = 200
	contextRunes  = 60       // runes shown before a fragment's first match
	scanChunk     = 32 << 10 // text analysed at a time
	scanLimit     = 1 << 20  // text examined per hit; matches further away are not shown
	enoughMatches = 100      // stop scanning once this many matches were found
)

// markTerms are the analysed forms of the query's positive words and
// phrases. Each word or phrase is a "concept" (a bit); a fragment showing
// more distinct concepts is better.
type markTerms struct {
	fold, fr, en map[string]uint64
	n            int
}

func newMarkTerms() *markTerms {
	return &markTerms{fold: map[string]uint64{}, fr: map[string]uint64{}, en: map[string]uint64{}}
}

func (m *markTerms) next() (uint64, bool) {
	if m.n >= 64 {
		return 0, false
	}
	m.n++
	return 1 << (m.n - 1), true
}

func (m *markTerms) addWord(an *analyzers, w string) {
	bit, ok := m.next()
	if !ok {
		return
	}
	for _, t := range terms(an.fold, w) {
		m.fold[t] |= bit
	}
	for _, t := range terms(an.fr, w) {
		m.fr[t] |= bit
	}
	for _, t := range terms(an.en, stripElision(w)) {
		m.en[t] |= bit
	}
}

// addPhrase marks a phrase's words, except stop words: marking every "de"
// in a text would hide the useful marks.
func (m *markTerms) addPhrase(an *analyzers, ph string) {
	bit, ok := m.next()
	if !ok {
		return
	}
	for _, t := range terms(an.fold, ph) {
		if !an.isStopWord(t) {
			m.fold[t] |= bit
		}
	}
	for _, t := range terms(an.fr, ph) {
		m.fr[t] |= bit
	}
	for _, t := range terms(an.en, ph) {
		m.en[t] |= bit
	}
}

// addSnippets fills the Snippets of hits, reading texts concurrently. A
// text that cannot be read leaves its hit without snippets; it does not
// fail the search.
func (ix *Index) addSnippets(ctx context.Context, an *analyzers, marks *markTerms, hits []Hit, langs []string) {
	src := ix.opts.text
	if src == nil || len(hits) == 0 {
		return
	}
	frM, enM := newMatcher(an, marks, "fr"), newMatcher(an, marks, "en")
	work := make(chan int, len(hits))
	for i := range hits {
		work <- i
	}
	close(work)
	workers := min(runtime.GOMAXPROCS(0), len(hits))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for i := range work {
				if ctx.Err() != nil {
					return
				}
				m := frM
				if langs[i] == "en" {
					m = enM
				}
				snips, err := snippetsFor(ctx, src, m, hits[i].ID)
				if err != nil {
					if !errors.Is(err, fs.ErrNotExist) && ctx.Err() == nil {
						ix.log.Warn("building snippets", "id", hits[i].ID, "err", err)
					}
					continue
				}
				hits[i].Snippets = snips
			}
		})
	}
	wg.Wait()
}

func snippetsFor(ctx context.Context, src TextSource, m *matcher, id string) ([]string, error) {
	rc, err := src(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("opening text of %s: %w", id, err)
	}
	defer rc.Close()
	s, err := makeSnippets(rc, m)
	if err != nil {
		return nil, fmt.Errorf("reading text of %s: %w", id, err)
	}
	return s, nil
}

type match struct {
	start, end int // byte offsets in the text
	concepts   uint64
}

// makeSnippets scans r chunk by chunk, stopping as soon as enough good
// fragments are found, so a 10 MiB text whose first page matches costs one
// chunk. When nothing matches (the hit matched by name or path) it returns
// the beginning of the text.
func makeSnippets(r io.Reader, m *matcher) ([]string, error) {
	var text, pending []byte
	var matches []match
	buf := make([]byte, scanChunk)
	analysed, eof := 0, false
	for !eof && len(text) < scanLimit {
		n, err := io.ReadFull(r, buf)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			eof = true
		} else if err != nil {
			return nil, err
		}
		// Invalid UTF-8 becomes U+FFFD, as at indexing time (the tokenizer
		// loses its way on it). A rune cut by the read waits for the next.
		pending = append(pending, buf[:n]...)
		keep := 0
		if !eof {
			keep = incompleteTail(pending)
		}
		text = append(text, bytes.ToValidUTF8(pending[:len(pending)-keep], []byte("\uFFFD"))...)
		pending = append(pending[:0], pending[len(pending)-keep:]...)
		cut := len(text)
		if !eof {
			cut = chunkEnd(text, analysed)
		}
		for _, f := range m.find(text[analysed:cut]) {
			f.start += analysed
			f.end += analysed
			matches = append(matches, f)
		}
		analysed = cut
		// Without words to mark (a filter-only query) the lead is all we show.
		if m.concepts == 0 || len(matches) >= enoughMatches || goodEnough(text, matches, m.concepts) {
			break
		}
	}
	complete := eof && analysed == len(text)
	var out []string
	for _, w := range pickWindows(text, matches) {
		out = append(out, renderFragment(text, w, complete))
	}
	if len(out) == 0 && len(text) > 0 {
		out = append(out, renderFragment(text, window{start: 0, end: 0}, complete))
	}
	return out, nil
}

// incompleteTail returns how many bytes at the end of b are the start of a
// rune not yet complete.
func incompleteTail(b []byte) int {
	for i := 1; i <= utf8.UTFMax-1 && i <= len(b); i++ {
		c := b[len(b)-i]
		if utf8.RuneStart(c) {
			if c >= utf8.RuneSelf && !utf8.FullRune(b[len(b)-i:]) {
				return i
			}
			return 0
		}
	}
	return 0
}

// chunkEnd returns where to stop analysing text (from 'from') without
// cutting a word: after the last whitespace, else at a rune boundary.
func chunkEnd(text []byte, from int) int {
	for i := len(text) - 1; i > from; i-- {
		if isSpaceByte(text[i]) {
			return i + 1
		}
	}
	end := len(text)
	for end > from && !utf8.RuneStart(text[end-1]) {
		end--
	}
	if end > from {
		end-- // the last rune may be incomplete
	}
	return max(end, from)
}

// mergeMatches sorts matches and merges those of the same token found by
// both analyzers.
func mergeMatches(ms []match) []match {
	sort.Slice(ms, func(i, j int) bool { return ms[i].start < ms[j].start })
	out := ms[:0]
	for _, m := range ms {
		if n := len(out); n > 0 && out[n-1].start == m.start {
			out[n-1].concepts |= m.concepts
			out[n-1].end = max(out[n-1].end, m.end)
			continue
		}
		out = append(out, m)
	}
	return out
}
