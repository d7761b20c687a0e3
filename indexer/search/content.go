package search

import (
	"sync"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2/analysis"
	index "github.com/blevesearch/bleve_index_api"
)

// A document's text goes into two fields: folded (anFold, with positions)
// and stemmed in its language (anFR or anEN). Both analyzers split words
// with the same tokenizer and run per-word filter chains, so the text is
// split once, each word is looked up once for both fields, and the token
// frequencies bleve needs are built directly, without the intermediate
// token streams. On the bench corpus, analysing each field on its own
// took a quarter of a bulk build's CPU; tokenizing twice, two cache
// lookups per word and the token streams were more than half of that.
//
// The result is exactly what the two analyzers give on their own (tested
// in TestContentAnalysisMatchesAnalyzers): queries and snippets still use
// the analyzers themselves.

// contentAnalyzer memoises, per word, the terms of the three content
// analyzers. It is built from an index's own analyzers.
type contentAnalyzer struct {
	fold, fr, en *cachedAnalyzer
	shards       [32]contentShard
	entries      atomic.Int64
}

type contentShard struct {
	mu sync.RWMutex
	m  map[string]*contentTerms
}

// contentTerms are a word's terms in each content analysis.
type contentTerms struct {
	fold, fr, en cachedTerm
}

// newContentAnalyzer returns nil if the analyzers are not the memoised
// word analyzers (the caller then analyses each field on its own).
func newContentAnalyzer(fold, fr, en analysis.Analyzer) *contentAnalyzer {
	f, ok1 := fold.(*cachedAnalyzer)
	r, ok2 := fr.(*cachedAnalyzer)
	e, ok3 := en.(*cachedAnalyzer)
	if !ok1 || !ok2 || !ok3 {
		return nil
	}
	_, w1 := f.tokenizer.(wordsTokenizer)
	_, w2 := r.tokenizer.(wordsTokenizer)
	_, w3 := e.tokenizer.(wordsTokenizer)
	if !w1 || !w2 || !w3 {
		return nil
	}
	return &contentAnalyzer{fold: f, fr: r, en: e}
}

func (c *contentAnalyzer) lookup(word []byte, typ analysis.TokenType) *contentTerms {
	sh := &c.shards[shardOf(word)]
	sh.mu.RLock()
	t := sh.m[string(word)]
	sh.mu.RUnlock()
	if t != nil {
		return t
	}
	key := string(word)
	t = &contentTerms{
		fold: termOf(c.fold, key, typ),
		fr:   termOf(c.fr, key, typ),
		en:   termOf(c.en, key, typ),
	}
	if c.entries.Load() < maxCachedWords {
		sh.mu.Lock()
		if sh.m == nil {
			sh.m = make(map[string]*contentTerms)
		}
		if _, dup := sh.m[key]; !dup {
			sh.m[key] = t
			c.entries.Add(1)
		}
		sh.mu.Unlock()
	}
	return t
}

// termOf runs a's filter chain on one word.
func termOf(a *cachedAnalyzer, word string, typ analysis.TokenType) cachedTerm {
	res := a.run(&analysis.Token{Term: []byte(word), Start: 0, End: len(word), Position: 1, Type: typ})
	switch len(res) {
	case 0:
		return cachedTerm{}
	case 1:
		return cachedTerm{term: append([]byte(nil), res[0].Term...)}
	}
	return cachedTerm{many: true}
}

// freqs accumulates one field's token frequencies, as
// analysis.TokenFrequency builds them from a token stream.
type freqs struct {
	m       index.TokenFrequencies
	n       int // tokens, the field's analysed length
	vectors bool
	locs    []index.TokenLocation // slab for locations, never regrown
	size    int                   // estimate of the memory held, for bleve's statistics
}

func newFreqs(textLen int, vectors bool) freqs {
	f := freqs{m: make(index.TokenFrequencies, textLen/32+8), vectors: vectors}
	if vectors {
		f.locs = make([]index.TokenLocation, 0, textLen/6+8)
	}
	return f
}

// Per-entry costs of the frequency maps, as index.TokenFrequencies.Size
// counts them (struct sizes on 64-bit platforms plus the map's key).
const (
	sizeTokenFreq     = 56 + 16 + 8
	sizeTokenLocation = 64 + 8
)

func (f *freqs) add(term []byte, start, end, pos int) {
	f.n++
	tf, ok := f.m[string(term)]
	if !ok {
		tf = &index.TokenFreq{Term: term}
		f.m[string(term)] = tf
		f.size += sizeTokenFreq + 2*len(term)
	}
	if f.vectors {
		if len(f.locs) == cap(f.locs) {
			// Earlier locations are pointed to: start a new slab.
			f.locs = make([]index.TokenLocation, 0, max(64, cap(f.locs)/2))
		}
		f.locs = append(f.locs, index.TokenLocation{Start: start, End: end, Position: pos})
		tf.Locations = append(tf.Locations, &f.locs[len(f.locs)-1])
		f.size += sizeTokenLocation
	}
	tf.SetFrequency(tf.Frequency() + 1)
}

// addMany adds what a's whole filter chain makes of one token, for the
// rare words whose chain does not give exactly one term.
func (f *freqs) addMany(a *cachedAnalyzer, tok *analysis.Token) {
	for _, t := range a.run(tok) {
		f.add(t.Term, t.Start, t.End, t.Position)
	}
}

// analyse splits text once and returns the frequencies of the folded field
// (with locations) and of the stemmed field of the document's language.
func (c *contentAnalyzer) analyse(text []byte, lang string) (fold, stem freqs) {
	fold, stem = newFreqs(len(text), true), newFreqs(len(text), false)
	stemmer, en := c.fr, lang == "en"
	if en {
		stemmer = c.en
	}
	pos := 0
	for i := 0; ; {
		start, end, digits := nextWord(text, i)
		if start < 0 {
			break
		}
		i = end
		pos++
		typ := analysis.AlphaNumeric
		if digits {
			typ = analysis.Numeric
		}
		word := text[start:end]
		t := c.lookup(word, typ)
		tok := func() *analysis.Token {
			return &analysis.Token{Term: append([]byte(nil), word...), Start: start, End: end, Position: pos, Type: typ}
		}
		switch {
		case t.fold.many:
			fold.addMany(c.fold, tok())
		case t.fold.term != nil:
			fold.add(t.fold.term, start, end, pos)
		}
		st := t.fr
		if en {
			st = t.en
		}
		switch {
		case st.many:
			stem.addMany(stemmer, tok())
		case st.term != nil:
			stem.add(st.term, 0, 0, 0)
		}
	}
	return fold, stem
}

// contentText is one document's text, analysed on first use for both of
// its content fields. bleve analyses the fields of one document one after
// the other on one goroutine, so no lock is needed.
type contentText struct {
	c          *contentAnalyzer
	value      []byte
	lang       string
	done       bool
	fold, stem freqs
}

func (t *contentText) analyse() {
	if !t.done {
		t.fold, t.stem = t.c.analyse(t.value, t.lang)
		t.done = true
	}
}

// contentField is one of a document's two content fields; it implements
// bleve's document.Field like document.TextField.
type contentField struct {
	name string
	opts index.FieldIndexingOptions
	text *contentText
	stem bool // the stemmed field, not the folded one
	f    freqs
}

func newContentFields(c *contentAnalyzer, value []byte, lang, stemField string) (fold, stem *contentField) {
	t := &contentText{c: c, value: value, lang: lang}
	return &contentField{name: fContent, opts: optVectors, text: t},
		&contentField{name: stemField, opts: optKeyword, text: t, stem: true}
}

func (f *contentField) Name() string                        { return f.name }
func (f *contentField) ArrayPositions() []uint64            { return nil }
func (f *contentField) Options() index.FieldIndexingOptions { return f.opts }
func (f *contentField) Value() []byte                       { return f.text.value }
func (f *contentField) NumPlainTextBytes() uint64           { return uint64(len(f.text.value)) }
func (f *contentField) EncodedFieldType() byte              { return 't' }
func (f *contentField) AnalyzedLength() int                 { return f.f.n }

func (f *contentField) AnalyzedTokenFrequencies() index.TokenFrequencies { return f.f.m }

// Size is an estimate (bleve only uses it for statistics); TextField's
// exact count walks every term and location of the field.
func (f *contentField) Size() int { return 96 + len(f.name) + len(f.text.value) + f.f.size }

func (f *contentField) Analyze() {
	f.text.analyse()
	if f.stem {
		f.f = f.text.stem
	} else {
		f.f = f.text.fold
	}
}
