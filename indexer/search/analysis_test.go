package search

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	index "github.com/blevesearch/bleve_index_api"
)

func TestWordsTokenizer(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"L'association a 12 ans.", []string{"L'association", "a", "12", "ans"}},
		{"aujourd’hui, qu’il", []string{"aujourd’hui", "qu’il"}},
		{"12,50 € et 1.000 ; fin. Puis", []string{"12,50", "et", "1.000", "fin", "Puis"}},
		{"AG-2024 e-mail", []string{"AG", "2024", "e", "mail"}},
		{"'quoted' l' x'", []string{"quoted", "l", "x"}},
		{"été\u00a0Noël naïve", []string{"été", "Noël", "naïve"}},
		{"cafe\u0301 x", []string{"cafe\u0301", "x"}}, // combining accent
		{"bad\xffbytes", []string{"bad", "bytes"}},
		{"", nil},
	}
	for _, tt := range tests {
		var got []string
		toks := wordsTokenizer{}.Tokenize([]byte(tt.in))
		for i, tok := range toks {
			got = append(got, string(tok.Term))
			if string(tok.Term) != tt.in[tok.Start:tok.End] || tok.Position != i+1 {
				t.Errorf("%q: token %d = %+v: bad offsets or position", tt.in, i, tok)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Tokenize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// The memoised analyzers must give exactly what the plain filter chains
// give, on real text and across many calls (cache hits).
func TestCachedAnalyzerMatchesChain(t *testing.T) {
	m, err := buildMapping()
	if err != nil {
		t.Fatal(err)
	}
	c := newCorpus()
	for _, name := range []string{anFold, anFR, anEN} {
		cached, ok := m.AnalyzerNamed(name).(*cachedAnalyzer)
		if !ok {
			t.Fatalf("%s is not a cachedAnalyzer", name)
		}
		plain := &analysis.DefaultAnalyzer{Tokenizer: cached.tokenizer, TokenFilters: cached.filters}
		for i := range 20 {
			d := c.doc(i)
			text := d.Content + " L’Été STATUTS Association's meetings 12,50"
			if got, want := dump(cached.Analyze([]byte(text))), dump(plain.Analyze([]byte(text))); got != want {
				t.Fatalf("%s on doc %d: cached analysis differs:\n%.500s\nwant\n%.500s", name, i, got, want)
			}
		}
		if cached.entries.Load() == 0 {
			t.Errorf("%s: nothing cached", name)
		}
	}
}

func dump(ts analysis.TokenStream) string {
	var b strings.Builder
	for _, t := range ts {
		fmt.Fprintf(&b, "%s@%d[%d:%d] ", t.Term, t.Position, t.Start, t.End)
	}
	return b.String()
}

// The matcher's first-letters filter must find exactly what analysing
// every token finds.
func TestMatcherPrefilter(t *testing.T) {
	an := testAnalyzers(t)
	c := newCorpus()
	queries := [][]string{
		{"statuts", "réunion"}, {"l'association", "bénévoles"}, {"ASSEMBLEE", "allées"},
		{"meetings", "budget"}, {"été", "œuvre"}, {"12,50", "2024"}, {"Salle", "fêtes"},
	}
	for i, words := range queries {
		marks := newMarkTerms()
		for _, w := range words {
			marks.addWord(an, w)
		}
		for _, lang := range []string{"fr", "en"} {
			fast := newMatcher(an, marks, lang)
			if !fast.filter {
				t.Errorf("%v: prefix filter disabled", words)
			}
			slow := *fast
			slow.filter = false
			d := c.doc(i)
			text := []byte(d.Content + " Statuts, l’association ALLÉES été œuvres meeting's 12,50 SALLES")
			if got, want := fast.find(text), slow.find(text); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%v (%s): filtered matches\n%v\nwant\n%v", words, lang, got, want)
			} else if len(want) == 0 {
				t.Errorf("%v (%s): no match at all, test text is too poor", words, lang)
			}
		}
	}
}

// The content fields, analysed together in one pass, must give exactly the
// token frequencies and lengths that each analyzer gives on its own
// through bleve's TextField: same terms, counts, positions and offsets.
func TestContentAnalysisMatchesAnalyzers(t *testing.T) {
	an := testAnalyzers(t)
	if an.content == nil {
		t.Fatal("the index mapping's content analyzers are not the memoised word analyzers")
	}
	c := newCorpus()
	extra := []string{
		"L’Été STATUTS Association's meetings 12,50 l'association qu’il aujourd’hui",
		"bad\xffbytes cafe\u0301 naïve ÉCOLE écoles the of and de la le les",
		"", "   ", "l'", "a", "12.000,50 2024-06-30 AG-2024",
	}
	for i := range 30 {
		texts := []string{c.doc(i).Content}
		if i < len(extra) {
			texts = append(texts, extra[i])
		}
		for _, text := range texts {
			for _, lang := range []string{"fr", "en", ""} {
				stemAn, stemField := an.forLang(lang)
				fold, stem := newContentFields(an.content, []byte(text), lang, stemField)
				for _, x := range []struct {
					got  *contentField
					an   analysis.Analyzer
					opts index.FieldIndexingOptions
				}{{fold, an.fold, optVectors}, {stem, stemAn, optKeyword}} {
					x.got.Analyze()
					want := document.NewTextFieldCustom(x.got.Name(), nil, []byte(text), x.opts, x.an)
					want.Analyze()
					if x.got.AnalyzedLength() != want.AnalyzedLength() {
						t.Fatalf("doc %d lang %q field %s: length %d, want %d", i, lang, x.got.Name(), x.got.AnalyzedLength(), want.AnalyzedLength())
					}
					if g, w := dumpFreqs(x.got.AnalyzedTokenFrequencies()), dumpFreqs(want.AnalyzedTokenFrequencies()); g != w {
						t.Fatalf("doc %d lang %q field %s: frequencies differ:\n%.800s\nwant\n%.800s", i, lang, x.got.Name(), g, w)
					}
				}
			}
		}
	}
}

func dumpFreqs(f index.TokenFrequencies) string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		tf := f[k]
		fmt.Fprintf(&b, "%s=%s×%d", k, tf.Term, tf.Frequency())
		for _, l := range tf.Locations {
			fmt.Fprintf(&b, " %d:%d-%d%v", l.Position, l.Start, l.End, l.ArrayPositions)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
