package search

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"notreasso/internal/testutil/prose"
)

// corpus generates a deterministic repository of association documents:
// French (85%) and English prose of 2 to 20 KB (11 KB on average, so
// 100 000 documents are about 1.1 GB of text) in 20 top folders of up to 18
// sub-folders. Document i is generated from (seed, i) alone, so any
// document can be produced again without keeping the corpus in memory.
type corpus struct {
	*prose.Gen
	tagsZ, authorsZ, topZ, subZ *prose.Zipf
}

const corpusSeed = 20240611

func newCorpus() *corpus {
	return &corpus{
		Gen:   prose.New(corpusSeed),
		tagsZ: prose.NewZipf(len(corpusTags), 0.8), authorsZ: prose.NewZipf(50, 0.8),
		topZ: prose.NewZipf(len(topFolderNames), 0.5), subZ: prose.NewZipf(len(subFolderNames), 0.3),
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
	lang := c.Lang(r)
	t := c.topZ.Draw(r)
	anc := []string{"root", topID(t)}
	dir := "/" + topFolderNames[t]
	if r.IntN(10) > 0 {
		s := c.subZ.Draw(r)
		anc = append(anc, subID(t, s))
		dir += "/" + subFolderNames[s]
	}
	ext := corpusExts[r.IntN(len(corpusExts))]
	year := 2015 + r.IntN(11)
	name := fmt.Sprintf("%s %s %d-%d.%s", prose.Capitalise(c.FrenchNoun(r)),
		c.FrenchNoun(r), year, i, ext.ext)
	var tags []string
	for range r.IntN(4) {
		tags = append(tags, corpusTags[c.tagsZ.Draw(r)])
	}
	mod := time.Date(year, time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), 0, 0, 0, time.UTC)
	return Document{
		ID: fmt.Sprintf("doc%06d", i), Name: name, Path: dir + "/" + name, Ancestors: anc,
		Tags: tags, Mime: ext.mime, Author: fmt.Sprintf("user%02d", c.authorsZ.Draw(r)),
		Modified: mod, Size: int64(2048+r.IntN(18*1024)) * 3, Lang: lang,
	}
}

// content returns the text of document i (lang from its metadata).
func (c *corpus) content(i int, lang string) string {
	r := rand.New(rand.NewPCG(corpusSeed, 2*uint64(i)+2))
	return c.Text(r, lang, 2048+r.IntN(18*1024))
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
