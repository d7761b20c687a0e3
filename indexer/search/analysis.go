package search

import (
	"fmt"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
)

// Names under which our analysis components are registered in bleve's
// global registry. The registry is process-wide, hence the prefix.
const (
	foldFilterName     = "notreasso_fold"
	alnumTokenizerName = "notreasso_alnum"
	wordsTokenizerName = "notreasso_words"
	cachedAnalyzerType = "notreasso_cached"
)

func init() {
	err := registry.RegisterTokenFilter(foldFilterName,
		func(map[string]interface{}, *registry.Cache) (analysis.TokenFilter, error) {
			return foldFilter{}, nil
		})
	if err == nil {
		err = registry.RegisterTokenizer(alnumTokenizerName,
			func(map[string]interface{}, *registry.Cache) (analysis.Tokenizer, error) {
				return alnumTokenizer{}, nil
			})
	}
	if err == nil {
		err = registry.RegisterTokenizer(wordsTokenizerName,
			func(map[string]interface{}, *registry.Cache) (analysis.Tokenizer, error) {
				return wordsTokenizer{}, nil
			})
	}
	if err == nil {
		err = registry.RegisterAnalyzer(cachedAnalyzerType, newCachedAnalyzer)
	}
	if err != nil {
		// Only possible if another package registered the same names.
		panic(fmt.Sprintf("indexer/search: registering analysis components: %v", err))
	}
}

// cachedAnalyzer is a tokenizer followed by token filters that each act on
// one token at a time (lower-casing, elision, stop words, stemming,
// folding). Since a word always gives the same term, the filter chain's
// result is memoised per distinct word: vocabulary is Zipfian, so nearly
// every token is a cache hit and the French stemmer (which allocates on
// every call) runs once per word instead of once per occurrence. Profiling
// showed the filter chains at a quarter of indexing CPU before this.
type cachedAnalyzer struct {
	tokenizer analysis.Tokenizer
	filters   []analysis.TokenFilter
	shards    [32]cacheShard
	entries   atomic.Int64
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[string]cachedTerm
}

type cachedTerm struct {
	term []byte // shared and never modified; nil: the word is dropped
	many bool   // the chain did not give exactly one token: not cached
}

// maxCachedWords bounds each analyzer's cache (a few MB): beyond it new
// words are analysed without being remembered.
const maxCachedWords = 1 << 17

func newCachedAnalyzer(config map[string]interface{}, cache *registry.Cache) (analysis.Analyzer, error) {
	tname, _ := config["tokenizer"].(string)
	tok, err := cache.TokenizerNamed(tname)
	if err != nil {
		return nil, fmt.Errorf("%s analyzer: tokenizer %q: %w", cachedAnalyzerType, tname, err)
	}
	a := &cachedAnalyzer{tokenizer: tok}
	names, _ := config["token_filters"].([]interface{})
	for _, n := range names {
		name, _ := n.(string)
		f, err := cache.TokenFilterNamed(name)
		if err != nil {
			return nil, fmt.Errorf("%s analyzer: token filter %q: %w", cachedAnalyzerType, name, err)
		}
		a.filters = append(a.filters, f)
	}
	return a, nil
}

func (a *cachedAnalyzer) Analyze(input []byte) analysis.TokenStream {
	toks := a.tokenizer.Tokenize(input)
	out := toks[:0]
	for _, t := range toks {
		c := a.lookup(t)
		switch {
		case c.many:
			out = append(out, a.run(t)...)
		case c.term != nil:
			t.Term = c.term
			out = append(out, t)
		}
	}
	return out
}

func (a *cachedAnalyzer) lookup(t *analysis.Token) cachedTerm {
	sh := &a.shards[shardOf(t.Term)]
	sh.mu.RLock()
	c, ok := sh.m[string(t.Term)]
	sh.mu.RUnlock()
	if ok {
		return c
	}
	key := string(t.Term)
	res := a.run(&analysis.Token{Term: []byte(key), Start: t.Start, End: t.End, Position: t.Position, Type: t.Type})
	switch len(res) {
	case 0:
	case 1:
		c.term = append([]byte(nil), res[0].Term...)
	default:
		c.many = true
	}
	if a.entries.Load() < maxCachedWords {
		sh.mu.Lock()
		if sh.m == nil {
			sh.m = make(map[string]cachedTerm)
		}
		if _, dup := sh.m[key]; !dup {
			sh.m[key] = c
			a.entries.Add(1)
		}
		sh.mu.Unlock()
	}
	return c
}

// run applies the filter chain to one token (a copy: filters may modify it).
func (a *cachedAnalyzer) run(t *analysis.Token) analysis.TokenStream {
	cp := *t
	cp.Term = append([]byte(nil), t.Term...)
	s := analysis.TokenStream{&cp}
	for _, f := range a.filters {
		s = f.Filter(s)
	}
	return s
}

func shardOf(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	return int(uint(b[0])*31+uint(b[len(b)-1])*7+uint(len(b))) & 31
}

// Character classes of ASCII bytes for wordsTokenizer.
const (
	clOther = iota
	clLetter
	clDigit
	clApos   // ' joins two letters
	clNumSep // . and , join two digits
)

var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = clLetter, clLetter
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = clDigit
	}
	t['\''], t['.'], t[','] = clApos, clNumSep, clNumSep
	return t
}()

// wordsTokenizer splits text into words for content analysis: runs of
// letters, digits and combining marks, keeping an apostrophe between two
// letters ("l'association", "aujourd’hui": the elision filter needs them
// whole) and a point or comma between two digits ("12,50"). It replaces
// bleve's UAX#29 tokenizer, which profiling showed at a fifth of indexing
// time, and allocates its tokens in one slab.
type wordsTokenizer struct{}

func (wordsTokenizer) Tokenize(input []byte) analysis.TokenStream {
	slab := make([]analysis.Token, 0, len(input)/5+8)
	for i := 0; ; {
		start, end, digits := nextWord(input, i)
		if start < 0 {
			break
		}
		typ := analysis.AlphaNumeric
		if digits {
			typ = analysis.Numeric
		}
		slab = append(slab, analysis.Token{
			Term: input[start:end], Start: start, End: end, Position: len(slab) + 1, Type: typ,
		})
		i = end
	}
	out := make(analysis.TokenStream, len(slab))
	for i := range slab {
		out[i] = &slab[i]
	}
	return out
}

// nextWord returns the first word of input at or after i (start < 0: none)
// and whether it is all digits. Snippets scan texts with it directly,
// without building tokens.
func nextWord(input []byte, i int) (start, end int, digits bool) {
	start, digits = -1, true
	prev := uint8(clOther) // class of the previous rune: letter, digit or other
	for i < len(input) {
		c, size := input[i], 1
		var cl uint8
		if c < utf8.RuneSelf {
			cl = asciiClass[c]
		} else {
			var r rune
			r, size = utf8.DecodeRune(input[i:])
			switch {
			case r == '\u2019':
				cl = clApos
			case r == utf8.RuneError:
				cl = clOther
			case unicode.IsLetter(r) || unicode.Is(unicode.M, r):
				cl = clLetter
			case unicode.IsDigit(r):
				cl = clDigit
			}
		}
		switch cl {
		case clLetter, clDigit:
			if start < 0 {
				start = i
			}
			if cl == clLetter {
				digits = false
			}
			prev = cl
			i += size
			continue
		case clApos, clNumSep:
			// A joiner continues the word if the same class follows.
			want := uint8(clLetter)
			if cl == clNumSep {
				want = clDigit
			}
			if start >= 0 && prev == want && i+size < len(input) && classAt(input, i+size) == want {
				prev = clOther
				i += size
				continue
			}
		}
		if start >= 0 {
			return start, i, digits
		}
		prev = clOther
		i += size
	}
	if start >= 0 {
		return start, len(input), digits
	}
	return -1, -1, false
}

// classAt returns the letter/digit class of the rune at i.
func classAt(b []byte, i int) uint8 {
	if b[i] < utf8.RuneSelf {
		if cl := asciiClass[b[i]]; cl == clLetter || cl == clDigit {
			return cl
		}
		return clOther
	}
	r, _ := utf8.DecodeRune(b[i:])
	switch {
	case r == utf8.RuneError:
		return clOther
	case unicode.IsLetter(r) || unicode.Is(unicode.M, r):
		return clLetter
	case unicode.IsDigit(r):
		return clDigit
	}
	return clOther
}

// alnumTokenizer splits on anything that is not a letter, digit or
// combining mark. Used for file names and paths, where the unicode (UAX#29)
// tokenizer would keep "rapport.final.pdf" or "compte_rendu" as one token.
// Unlike bleve's character tokenizer it does not stop at invalid UTF-8.
type alnumTokenizer struct{}

func (alnumTokenizer) Tokenize(input []byte) analysis.TokenStream {
	var out analysis.TokenStream
	start := -1
	pos := 0
	emit := func(end int) {
		pos++
		out = append(out, &analysis.Token{
			Term: input[start:end], Start: start, End: end,
			Position: pos, Type: analysis.AlphaNumeric,
		})
		start = -1
	}
	for i := 0; i < len(input); {
		r, size := utf8.DecodeRune(input[i:])
		isTok := r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r))
		switch {
		case isTok && start < 0:
			start = i
		case !isTok && start >= 0:
			emit(i)
		}
		i += size
	}
	if start >= 0 {
		emit(len(input))
	}
	return out
}
