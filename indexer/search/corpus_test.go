package search

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// corpus generates a deterministic repository of association documents:
// French (85%) and English prose of 2 to 20 KB (11 KB on average, so
// 100 000 documents are about 1.1 GB of text) in 20 top folders of up to 18
// sub-folders. Document i is generated from (seed, i) alone, so any
// document can be produced again without keeping the corpus in memory.
type corpus struct {
	rare                                      []string
	frN, frV, frA, frF, enN, enV, enA, enF    *zipf
	rareZ, tagsZ, authorsZ, topZ, subZ, connZ *zipf
}

const corpusSeed = 20240611

// zipf draws ranks 0..n-1 with probability proportional to 1/(rank+1)^s.
type zipf struct{ cum []float64 }

func newZipf(n int, s float64) *zipf {
	z := &zipf{cum: make([]float64, n)}
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

func (z *zipf) draw(r *rand.Rand) int {
	return min(sort.SearchFloat64s(z.cum, r.Float64()), len(z.cum)-1)
}

func newCorpus() *corpus {
	r := rand.New(rand.NewPCG(corpusSeed, 0))
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
	return &corpus{
		rare: rare,
		frN:  newZipf(len(frNouns), 0.9), frV: newZipf(len(frVerbs), 0.9),
		frA: newZipf(len(frAdjs), 0.9), frF: newZipf(len(frFunc), 1.0),
		enN: newZipf(len(enNouns), 0.9), enV: newZipf(len(enVerbs), 0.9),
		enA: newZipf(len(enAdjs), 0.9), enF: newZipf(len(enFunc), 1.0),
		rareZ: newZipf(len(rare), 1.0), tagsZ: newZipf(len(corpusTags), 0.8),
		authorsZ: newZipf(50, 0.8), topZ: newZipf(len(topFolderNames), 0.5),
		subZ: newZipf(len(subFolderNames), 0.3), connZ: newZipf(len(frConnect), 0.5),
	}
}

func topID(t int) string    { return fmt.Sprintf("t%02d", t) }
func subID(t, s int) string { return fmt.Sprintf("t%02d-s%02d", t, s) }

var corpusExts = []struct{ ext, mime string }{
	{"pdf", "application/pdf"}, {"pdf", "application/pdf"}, {"pdf", "application/pdf"},
	{"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
	{"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
	{"odt", "application/vnd.oasis.opendocument.text"},
	{"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
	{"txt", "text/plain"}, {"md", "text/markdown"},
	{"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
}

// doc returns document i, text included.
func (c *corpus) doc(i int) Document {
	d := c.meta(i)
	d.Content = c.content(i, d.Lang)
	d.Size = int64(len(d.Content)) * 3
	return d
}

// meta returns document i without its text. Metadata and text come from
// separate random streams, so either can be produced alone (benchmarks read
// texts back from a cache on disk, as the indexer reads the extraction
// cache).
func (c *corpus) meta(i int) Document {
	r := rand.New(rand.NewPCG(corpusSeed, 2*uint64(i)+1))
	lang := "fr"
	if r.IntN(100) < 15 {
		lang = "en"
	}
	t := c.topZ.draw(r)
	anc := []string{"root", topID(t)}
	dir := "/" + topFolderNames[t]
	if r.IntN(10) > 0 {
		s := c.subZ.draw(r)
		anc = append(anc, subID(t, s))
		dir += "/" + subFolderNames[s]
	}
	ext := corpusExts[r.IntN(len(corpusExts))]
	year := 2015 + r.IntN(11)
	name := fmt.Sprintf("%s %s %d-%d.%s", capitalise(frNouns[c.frN.draw(r)]),
		frNouns[c.frN.draw(r)], year, i, ext.ext)
	var tags []string
	for range r.IntN(4) {
		tags = append(tags, corpusTags[c.tagsZ.draw(r)])
	}
	mod := time.Date(year, time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), 0, 0, 0, time.UTC)
	return Document{
		ID: fmt.Sprintf("doc%06d", i), Name: name, Path: dir + "/" + name, Ancestors: anc,
		Tags: tags, Mime: ext.mime, Author: fmt.Sprintf("user%02d", c.authorsZ.draw(r)),
		Modified: mod, Size: int64(2048+r.IntN(18*1024)) * 3, Lang: lang,
	}
}

// content returns the text of document i (lang from its metadata).
func (c *corpus) content(i int, lang string) string {
	r := rand.New(rand.NewPCG(corpusSeed, 2*uint64(i)+2))
	return c.text(r, lang, 2048+r.IntN(18*1024))
}

// text writes paragraphs of sentences until size bytes. Each document
// favours a band of nouns (its topic), so documents differ in vocabulary.
func (c *corpus) text(r *rand.Rand, lang string, size int) string {
	var b, sentence strings.Builder
	b.Grow(size + 256)
	topic := r.IntN(10) * 25
	for b.Len() < size {
		for range 3 + r.IntN(6) {
			sentence.Reset()
			if lang == "en" {
				c.sentenceEN(r, &sentence, topic)
			} else {
				c.sentenceFR(r, &sentence, topic)
			}
			b.WriteString(capitalise(sentence.String()))
		}
		b.WriteString("\n\n")
	}
	return b.String()
}

func (c *corpus) nounFR(r *rand.Rand, topic int) string {
	switch p := r.IntN(100); {
	case p < 6:
		return capitalise(c.rare[c.rareZ.draw(r)])
	case p < 40:
		return frNouns[(topic+r.IntN(40))%len(frNouns)]
	default:
		return frNouns[c.frN.draw(r)]
	}
}

// groupFR writes a determiner and a noun, with elision and plurals.
func (c *corpus) groupFR(r *rand.Rand, b *strings.Builder, topic int) {
	n := c.nounFR(r, topic)
	switch d := r.IntN(8); {
	case d < 2 && startsWithVowel(n):
		b.WriteString([]string{"l'", "d'", "l’"}[r.IntN(3)] + n)
	case d < 4:
		b.WriteString([]string{"les ", "des ", "aux ", "ces "}[r.IntN(4)] + plural(n))
	default:
		b.WriteString([]string{"le ", "la ", "un ", "une ", "du ", "notre ", "cette "}[r.IntN(7)] + n)
	}
	if r.IntN(3) == 0 {
		b.WriteString(" " + frAdjs[c.frA.draw(r)])
	}
}

func (c *corpus) sentenceFR(r *rand.Rand, b *strings.Builder, topic int) {
	if r.IntN(4) == 0 {
		b.WriteString(frConnect[c.connZ.draw(r)] + " ")
	}
	c.groupFR(r, b, topic)
	b.WriteString(" " + frVerbs[c.frV.draw(r)] + " ")
	c.groupFR(r, b, topic)
	for range r.IntN(4) {
		b.WriteString(" " + frFunc[c.frF.draw(r)] + " ")
		c.groupFR(r, b, topic)
	}
	if r.IntN(6) == 0 {
		fmt.Fprintf(b, " pour %d euros", 10*(1+r.IntN(500)))
	}
	b.WriteString(". ")
}

func (c *corpus) sentenceEN(r *rand.Rand, b *strings.Builder, topic int) {
	group := func() {
		b.WriteString([]string{"the ", "a ", "our ", "this ", "their "}[r.IntN(5)])
		if r.IntN(3) == 0 {
			b.WriteString(enAdjs[c.enA.draw(r)] + " ")
		}
		n := enNouns[c.enN.draw(r)]
		if r.IntN(3) == 0 {
			n = enNouns[(topic/2+r.IntN(30))%len(enNouns)]
		}
		if r.IntN(20) == 0 {
			n = capitalise(c.rare[c.rareZ.draw(r)])
		}
		if r.IntN(4) == 0 {
			n = plural(n)
		}
		b.WriteString(n)
	}
	group()
	b.WriteString(" " + enVerbs[c.enV.draw(r)] + " ")
	group()
	for range r.IntN(3) {
		b.WriteString(" " + enFunc[c.enF.draw(r)] + " ")
		group()
	}
	b.WriteString(". ")
}

func capitalise(s string) string {
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

func TestCorpusDeterministicAndRealistic(t *testing.T) {
	c1, c2 := newCorpus(), newCorpus()
	total, en := 0, 0
	const n = 300
	for i := range n {
		d := c1.doc(i)
		if d2 := c2.doc(i); d.Content != d2.Content || d.Path != d2.Path || c2.content(i, d.Lang) != d.Content {
			t.Fatalf("doc %d differs between two generators", i)
		}
		if len(d.Content) < 2048 || len(d.Content) > 21*1024 {
			t.Errorf("doc %d: %d bytes", i, len(d.Content))
		}
		if topFolder(d.Path, d.Ancestors) != d.Ancestors[1] {
			t.Errorf("doc %d: path %s does not match ancestors %v", i, d.Path, d.Ancestors)
		}
		total += len(d.Content)
		if d.Lang == "en" {
			en++
		}
	}
	if avg := total / n; avg < 9000 || avg > 13000 {
		t.Errorf("average size %d bytes, want about 11 KB", avg)
	}
	if en < n/20 || en > n/4 {
		t.Errorf("%d English documents of %d", en, n)
	}
	t.Logf("sample: %.300s", c1.doc(1).Content)
}
