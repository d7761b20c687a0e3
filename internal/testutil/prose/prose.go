// Package prose generates deterministic French and English prose of an
// association's documents (minutes, budgets, newsletters), for the search
// index's benchmarks and tests and for `make bench`: nouns, verbs and
// adjectives drawn with Zipf frequencies, a topic band per document, French
// elisions and plurals, amounts, and 30 000 generated rare words, so that
// word frequencies, document lengths and hit counts look like real
// documents rather than a uniform bag of words.
package prose

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Zipf draws ranks 0..n-1 with probability proportional to 1/(rank+1)^s.
type Zipf struct{ cum []float64 }

// NewZipf returns a Zipf distribution over n ranks with exponent s.
func NewZipf(n int, s float64) *Zipf {
	z := &Zipf{cum: make([]float64, n)}
	total := 0.0
	for i := range n {
		total += 1 / math.Pow(float64(i+1), s)
		z.cum[i] = total
	}
	for i := range z.cum {
		z.cum[i] /= total
	}
	return z
}

// Draw returns a rank.
func (z *Zipf) Draw(r *rand.Rand) int {
	return min(sort.SearchFloat64s(z.cum, r.Float64()), len(z.cum)-1)
}

// Gen generates text. It is read-only once made: share it between
// goroutines, each with its own *rand.Rand.
type Gen struct {
	rare                                   []string
	rareRank                               map[string]int
	frN, frV, frA, frF, enN, enV, enA, enF *Zipf
	rareZ, connZ                           *Zipf
}

// New returns the generator for a seed (its rare words depend on it).
func New(seed uint64) *Gen {
	r := rand.New(rand.NewPCG(seed, 0))
	seen := map[string]bool{}
	var rare []string
	for len(rare) < 30000 {
		var b strings.Builder
		for range 2 + r.IntN(3) {
			b.WriteString(syllables[r.IntN(len(syllables))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			rare = append(rare, w)
		}
	}
	rank := make(map[string]int, len(rare))
	for i, w := range rare {
		rank[w] = i
	}
	return &Gen{
		rare: rare, rareRank: rank,
		frN: NewZipf(len(FrenchNouns), 0.9), frV: NewZipf(len(frVerbs), 0.9),
		frA: NewZipf(len(FrenchAdjectives), 0.9), frF: NewZipf(len(frFunc), 1.0),
		enN: NewZipf(len(EnglishNouns), 0.9), enV: NewZipf(len(enVerbs), 0.9),
		enA: NewZipf(len(enAdjs), 0.9), enF: NewZipf(len(enFunc), 1.0),
		rareZ: NewZipf(len(rare), 1.0), connZ: NewZipf(len(frConnect), 0.5),
	}
}

// RareRank tells whether w (lower case) is one of the generated rare
// words, and its rank: the higher, the fewer documents hold it.
func (g *Gen) RareRank(w string) (int, bool) {
	r, ok := g.rareRank[w]
	return r, ok
}

// Lang draws a document's language: French 85%, English 15%.
func (g *Gen) Lang(r *rand.Rand) string {
	if r.IntN(100) < 15 {
		return "en"
	}
	return "fr"
}

// FrenchNoun draws a French noun with its frequency in the prose.
func (g *Gen) FrenchNoun(r *rand.Rand) string { return FrenchNouns[g.frN.Draw(r)] }

// QueryWord draws a word someone would search for, following the prose's
// frequencies: mostly French nouns, some adjectives, 15% English nouns.
func (g *Gen) QueryWord(r *rand.Rand) string {
	if r.IntN(100) < 15 {
		return EnglishNouns[g.enN.Draw(r)]
	}
	if r.IntN(5) == 0 {
		return FrenchAdjectives[g.frA.Draw(r)]
	}
	return FrenchNouns[g.frN.Draw(r)]
}

// Text writes paragraphs of sentences until size bytes. Each document
// favours a band of nouns (its topic), so documents differ in vocabulary.
func (g *Gen) Text(r *rand.Rand, lang string, size int) string {
	var b, sentence strings.Builder
	b.Grow(size + 256)
	topic := r.IntN(10) * 25
	for b.Len() < size {
		for range 3 + r.IntN(6) {
			sentence.Reset()
			if lang == "en" {
				g.sentenceEN(r, &sentence, topic)
			} else {
				g.sentenceFR(r, &sentence, topic)
			}
			b.WriteString(Capitalise(sentence.String()))
		}
		b.WriteString("\n\n")
	}
	return b.String()
}

func (g *Gen) nounFR(r *rand.Rand, topic int) string {
	switch p := r.IntN(100); {
	case p < 6:
		return Capitalise(g.rare[g.rareZ.Draw(r)])
	case p < 40:
		return FrenchNouns[(topic+r.IntN(40))%len(FrenchNouns)]
	default:
		return FrenchNouns[g.frN.Draw(r)]
	}
}

// groupFR writes a determiner and a noun, with elision and plurals.
func (g *Gen) groupFR(r *rand.Rand, b *strings.Builder, topic int) {
	n := g.nounFR(r, topic)
	switch d := r.IntN(8); {
	case d < 2 && startsWithVowel(n):
		b.WriteString([]string{"l'", "d'", "l’"}[r.IntN(3)] + n)
	case d < 4:
		b.WriteString([]string{"les ", "des ", "aux ", "ces "}[r.IntN(4)] + plural(n))
	default:
		b.WriteString([]string{"le ", "la ", "un ", "une ", "du ", "notre ", "cette "}[r.IntN(7)] + n)
	}
	if r.IntN(3) == 0 {
		b.WriteString(" " + FrenchAdjectives[g.frA.Draw(r)])
	}
}

func (g *Gen) sentenceFR(r *rand.Rand, b *strings.Builder, topic int) {
	if r.IntN(4) == 0 {
		b.WriteString(frConnect[g.connZ.Draw(r)] + " ")
	}
	g.groupFR(r, b, topic)
	b.WriteString(" " + frVerbs[g.frV.Draw(r)] + " ")
	g.groupFR(r, b, topic)
	for range r.IntN(4) {
		b.WriteString(" " + frFunc[g.frF.Draw(r)] + " ")
		g.groupFR(r, b, topic)
	}
	if r.IntN(6) == 0 {
		fmt.Fprintf(b, " pour %d euros", 10*(1+r.IntN(500)))
	}
	b.WriteString(". ")
}

func (g *Gen) sentenceEN(r *rand.Rand, b *strings.Builder, topic int) {
	group := func() {
		b.WriteString([]string{"the ", "a ", "our ", "this ", "their "}[r.IntN(5)])
		if r.IntN(3) == 0 {
			b.WriteString(enAdjs[g.enA.Draw(r)] + " ")
		}
		n := EnglishNouns[g.enN.Draw(r)]
		if r.IntN(3) == 0 {
			n = EnglishNouns[(topic/2+r.IntN(30))%len(EnglishNouns)]
		}
		if r.IntN(20) == 0 {
			n = Capitalise(g.rare[g.rareZ.Draw(r)])
		}
		if r.IntN(4) == 0 {
			n = plural(n)
		}
		b.WriteString(n)
	}
	group()
	b.WriteString(" " + enVerbs[g.enV.Draw(r)] + " ")
	group()
	for range r.IntN(3) {
		b.WriteString(" " + enFunc[g.enF.Draw(r)] + " ")
		group()
	}
	b.WriteString(". ")
}

// Capitalise upper-cases the first letter.
func Capitalise(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

func plural(n string) string {
	switch {
	case strings.HasSuffix(n, "s") || strings.HasSuffix(n, "x"):
		return n
	case strings.HasSuffix(n, "eau"):
		return n + "x"
	case strings.HasSuffix(n, "al") && len(n) > 4:
		return n[:len(n)-2] + "aux"
	}
	return n + "s"
}

func startsWithVowel(s string) bool {
	r, _ := utf8.DecodeRuneInString(strings.ToLower(s))
	return strings.ContainsRune("aeiouyéèêâîôh", r)
}
