package search

import (
	"bytes"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
)

// matcher finds the words of a text that the index matched for a query:
// tokens whose folded form or whose stem (in the document's language) is
// one of the query's analysed terms.
//
// Snippets were first built by running both analyzers over the text; that
// was half the CPU of a search. Now the text is tokenized once and most
// tokens are rejected by their first two letters: the analyzers only
// change the ends of words (stemming) and fold accents, so a token can only
// give a marked term if it starts with the same two folded letters. Tokens
// where that does not hold (elided "l'…", doubled letters that the French
// stemmer collapses, non-Latin scripts) are always analysed.
type matcher struct {
	fold, lang           analysis.Analyzer
	foldTerms, langTerms map[string]uint64
	prefixes             map[uint16]bool
	filter               bool // prefixes usable; else analyse every token
	concepts             int
}

func newMatcher(an *analyzers, marks *markTerms, lang string) *matcher {
	m := &matcher{fold: an.fold, lang: an.fr, foldTerms: marks.fold, langTerms: marks.fr,
		prefixes: map[uint16]bool{}, filter: true, concepts: marks.n}
	if lang == "en" {
		m.lang, m.langTerms = an.en, marks.en
	}
	_, foldCached := m.fold.(*cachedAnalyzer)
	_, langCached := m.lang.(*cachedAnalyzer)
	m.filter = foldCached && langCached
	for _, terms := range []map[string]uint64{m.foldTerms, m.langTerms} {
		for t := range terms {
			k, ok := prefixKey([]byte(t))
			if !ok {
				m.filter = false
			}
			m.prefixes[k] = true
		}
	}
	return m
}

// find returns the marked tokens of seg, sorted, offsets relative to seg.
func (m *matcher) find(seg []byte) []match {
	if len(m.foldTerms) == 0 && len(m.langTerms) == 0 {
		return nil
	}
	if !m.filter {
		found := analyseMatches(seg, m.fold, m.foldTerms, nil)
		return mergeMatches(analyseMatches(seg, m.lang, m.langTerms, found))
	}
	fold, lang := m.fold.(*cachedAnalyzer), m.lang.(*cachedAnalyzer)
	var out []match
	var tok analysis.Token
	// nextWord is the tokenizer of both analyzers.
	for start, end, digits := nextWord(seg, 0); start >= 0; start, end, digits = nextWord(seg, end) {
		if k, ok := prefixKey(seg[start:end]); ok && !m.prefixes[k] {
			continue
		}
		tok = analysis.Token{Term: seg[start:end], Start: start, End: end, Position: 1, Type: analysis.AlphaNumeric}
		if digits {
			tok.Type = analysis.Numeric
		}
		c := lookupAll(fold, &tok, m.foldTerms) | lookupAll(lang, &tok, m.langTerms)
		if c != 0 {
			out = append(out, match{start: start, end: end, concepts: c})
		}
	}
	return out
}

// lookupAll returns the concepts of the terms a gives for tok.
func lookupAll(a *cachedAnalyzer, tok *analysis.Token, marked map[string]uint64) uint64 {
	c := a.lookup(tok)
	switch {
	case c.many:
		var concepts uint64
		for _, t := range a.run(tok) {
			concepts |= marked[string(t.Term)]
		}
		return concepts
	case c.term != nil:
		return marked[string(c.term)]
	}
	return 0
}

// prefixKey returns the first two letters of a token, lower-cased and
// folded, or false when the token must be analysed in full (see matcher).
func prefixKey(b []byte) (uint16, bool) {
	if bytes.IndexByte(b, '\'') >= 0 || bytes.Contains(b, []byte("\u2019")) {
		return 0, false
	}
	var k [2]byte
	n := 0
	for i := 0; i < len(b) && n < 2; {
		c := b[i]
		if c < utf8.RuneSelf {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			k[n] = c
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		i += size
		r = unicode.ToLower(r)
		switch {
		case unicode.Is(unicode.Mn, r):
		case r < 0x250 && latinFold[r] != "":
			for j := 0; j < len(latinFold[r]) && n < 2; j++ {
				k[n] = latinFold[r][j]
				n++
			}
		default:
			return 0, false
		}
	}
	if n == 2 && k[0] == k[1] {
		return 0, false
	}
	return uint16(k[0])<<8 | uint16(k[1]), true
}

// analyseMatches runs an over seg (a copy: analyzers may lower-case in
// place) and appends the tokens whose term is marked.
func analyseMatches(seg []byte, an analysis.Analyzer, marked map[string]uint64, out []match) []match {
	if len(marked) == 0 {
		return out
	}
	for _, tok := range an.Analyze(append([]byte(nil), seg...)) {
		if c := marked[string(tok.Term)]; c != 0 {
			out = append(out, match{start: tok.Start, end: tok.End, concepts: c})
		}
	}
	return out
}
