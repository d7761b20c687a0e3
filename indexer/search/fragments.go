package search

import (
	"html"
	"math/bits"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// window is a candidate fragment: a run of matches close enough to be
// shown together.
type window struct {
	start, end int // byte span of the matches
	matches    []match
	concepts   uint64
}

func (w window) score() int {
	return bits.OnesCount64(w.concepts)*1000 + len(w.matches)
}

// windows groups matches greedily into spans of at most fragmentRunes.
func windows(text []byte, matches []match) []window {
	var out []window
	for i := 0; i < len(matches); {
		limit := advanceRunes(text, matches[i].start, fragmentRunes-contextRunes)
		w := window{start: matches[i].start}
		for i < len(matches) && (len(w.matches) == 0 || matches[i].end <= limit) {
			w.matches = append(w.matches, matches[i])
			w.concepts |= matches[i].concepts
			w.end = matches[i].end
			i++
		}
		out = append(out, w)
	}
	return out
}

// goodEnough reports whether the text read so far already offers
// maxFragments windows that each show every concept.
func goodEnough(text []byte, matches []match, concepts int) bool {
	full := 0
	for _, w := range windows(text, matches) {
		if bits.OnesCount64(w.concepts) >= concepts {
			full++
		}
	}
	return full >= maxFragments
}

// pickWindows keeps the best maxFragments windows, in text order.
func pickWindows(text []byte, matches []match) []window {
	ws := windows(text, matches)
	sort.SliceStable(ws, func(i, j int) bool { return ws[i].score() > ws[j].score() })
	if len(ws) > maxFragments {
		ws = ws[:maxFragments]
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].start < ws[j].start })
	return ws
}

// renderFragment returns the HTML of a fragment around w: about
// fragmentRunes runes cut at word boundaries, whitespace collapsed, text
// escaped, matches in <mark>, "…" where text was cut.
func renderFragment(text []byte, w window, complete bool) string {
	s := backRunes(text, w.start, contextRunes)
	if s > 0 { // start at a word
		if i := indexSpace(text[s:w.start]); i >= 0 {
			s += i + 1
		}
	}
	e := max(advanceRunes(text, s, fragmentRunes), w.end)
	if e < len(text) { // end at a word
		if i := lastSpace(text[w.end:e]); i >= 0 {
			e = w.end + i
		}
	}
	var b strings.Builder
	// "…" where the text is cut, unless the text has one there already
	// (« … … » was reported on the search page).
	if s > 0 && !hasEllipsis(strings.TrimLeftFunc(string(text[s:min(e, s+16)]), unicode.IsSpace), strings.HasPrefix) {
		b.WriteString("…")
	}
	pos, space := s, false
	writeText := func(to int) {
		for _, r := range string(text[pos:to]) { // valid UTF-8: see makeSnippets
			if unicode.IsSpace(r) {
				space = true
				continue
			}
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteString(html.EscapeString(string(r)))
		}
		pos = to
	}
	for _, m := range w.matches {
		if m.start < pos || m.end > e {
			continue
		}
		writeText(m.start)
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(string(text[m.start:m.end])))
		b.WriteString("</mark>")
		pos = m.end
	}
	writeText(e)
	if (e < len(text) || !complete) && !hasEllipsis(b.String(), strings.HasSuffix) {
		b.WriteString("…")
	}
	return strings.TrimSpace(b.String())
}

func hasEllipsis(s string, at func(s, affix string) bool) bool {
	return at(s, "…") || at(s, "...")
}

// advanceRunes returns the offset n runes after from (or len(text)).
func advanceRunes(text []byte, from, n int) int {
	i := from
	for ; n > 0 && i < len(text); n-- {
		_, size := utf8.DecodeRune(text[i:])
		i += size
	}
	return i
}

// backRunes returns the offset n runes before from (or 0).
func backRunes(text []byte, from, n int) int {
	i := from
	for ; n > 0 && i > 0; n-- {
		_, size := utf8.DecodeLastRune(text[:i])
		i -= size
	}
	return i
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

func indexSpace(b []byte) int {
	for i, c := range b {
		if isSpaceByte(c) {
			return i
		}
	}
	return -1
}

func lastSpace(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if isSpaceByte(b[i]) {
			return i
		}
	}
	return -1
}
