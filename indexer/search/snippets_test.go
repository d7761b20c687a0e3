package search

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSnippetsThroughSearch(t *testing.T) {
	ix, _ := openTest(t, fixture()...)
	tests := []struct {
		name, text, id string
		contains       []string // substrings of the first snippet
		absent         []string
	}{
		{"accent given", "réunion", "d-pv", []string{"La <mark>réunion</mark> s&#39;est tenue"}, nil},
		{"accent omitted", "reunion", "d-pv", []string{"<mark>réunion</mark>"}, nil},
		{"plural query marks singular", "statuts", "d-statuts", []string{"<mark>Statut</mark> de l&#39;association"}, nil},
		{"elision", "association", "d-statuts", []string{"<mark>l&#39;association</mark>"}, nil},
		{"english stems", "meetings", "d-minutes", []string{"partner <mark>meetings</mark>", "Next <mark>meeting</mark>"}, nil},
		{"two words", "budget mairie", "d-finance", []string{"<mark>Budget</mark>", "<mark>mairie</mark>"}, nil},
		{"phrase marks its words, not stop words", `"salle des fêtes"`, "d-pv", []string{"<mark>salle</mark> des <mark>fêtes</mark>"}, nil},
		{"excluded word not marked", "statuts -bureau", "d-root", []string{"<mark>statuts</mark>"}, []string{"<mark>bureau"}},
		{"filters only: lead", "type:tableur", "d-finance", []string{"Budget prévisionnel"}, []string{"<mark>"}},
		{"name match only: lead", "rapp", "d-finance", []string{"Budget prévisionnel et comptes"}, []string{"<mark>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := search(t, ix, Query{Text: tt.text, Access: all})
			var hit *Hit
			for i := range res.Hits {
				if res.Hits[i].ID == tt.id {
					hit = &res.Hits[i]
				}
			}
			if hit == nil {
				t.Fatalf("%q: no hit %s in %v", tt.text, tt.id, ids(res))
			}
			if len(hit.Snippets) == 0 {
				t.Fatalf("%q: no snippet for %s", tt.text, tt.id)
			}
			s := strings.Join(hit.Snippets, " | ")
			for _, c := range tt.contains {
				if !strings.Contains(s, c) {
					t.Errorf("%q: snippets %q lack %q", tt.text, s, c)
				}
			}
			for _, c := range tt.absent {
				if strings.Contains(s, c) {
					t.Errorf("%q: snippets %q contain %q", tt.text, s, c)
				}
			}
		})
	}
}

func TestSnippetsWithoutText(t *testing.T) {
	docs := fixture()
	ix, texts := openTest(t, docs...)
	delete(texts.texts, "d-pv") // not in the extraction cache
	res := search(t, ix, Query{Text: "réunion", Access: all})
	if len(res.Hits) != 2 {
		t.Fatalf("hits = %v", ids(res))
	}
	for _, h := range res.Hits {
		if got := len(h.Snippets) > 0; got != (h.ID != "d-pv") {
			t.Errorf("%s: snippets %q", h.ID, h.Snippets)
		}
	}

	// Without a TextSource there are no snippets, and no error.
	plain, err := Open(t.TempDir(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if err := plain.Apply(context.Background(), docs, nil); err != nil {
		t.Fatal(err)
	}
	res = search(t, plain, Query{Text: "réunion", Access: all})
	if len(res.Hits) != 2 || len(res.Hits[0].Snippets) != 0 {
		t.Errorf("without TextSource: %d hits, snippets %q", len(res.Hits), res.Hits[0].Snippets)
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func testMatcher(t *testing.T, words ...string) *matcher {
	t.Helper()
	an := testAnalyzers(t)
	marks := newMarkTerms()
	for _, w := range words {
		marks.addWord(an, w)
	}
	return newMatcher(an, marks, "fr")
}

func filler(n int) string {
	return strings.Repeat("Lorem ipsum dolor sit amet consectetur. ", n)
}

func TestMakeSnippets(t *testing.T) {
	boundary := strings.Repeat("x", scanChunk-3) + " budget " + filler(10)
	tests := []struct {
		name         string
		text         string
		words        []string
		want         []string // exact fragments, when given
		contains     []string
		maxFragments int
		maxRead      int
	}{
		{
			name: "escaping and whitespace", text: "a <b>\n\n\tbudget</b> & co",
			words: []string{"budget"}, want: []string{"a &lt;b&gt; <mark>budget</mark>&lt;/b&gt; &amp; co"},
		},
		{
			name: "cut with ellipses", text: filler(20) + "le budget annuel " + filler(20),
			words: []string{"budget"}, contains: []string{"…", "le <mark>budget</mark> annuel"},
			maxFragments: 1,
		},
		{
			name: "at most three fragments", text: strings.Repeat(filler(10)+"budget ", 10),
			words: []string{"budget"}, maxFragments: 3,
		},
		{
			name: "best fragment has both words", text: strings.Repeat("budget "+filler(8), 6) + "la mairie et le budget. " + filler(8),
			words: []string{"budget", "mairie"}, contains: []string{"<mark>mairie</mark> et le <mark>budget</mark>"},
			maxFragments: 3,
		},
		{
			name: "stops early in a long text", text: "budget " + filler(5) + "budget " + filler(5) + "budget " + filler(200_000),
			words: []string{"budget"}, maxRead: 2 * scanChunk, maxFragments: 3,
		},
		{
			name: "match beyond the scan limit: lead only", text: filler(scanLimit/40+1000) + "budget",
			words: []string{"budget"}, contains: []string{"Lorem ipsum"}, maxRead: scanLimit + scanChunk, maxFragments: 1,
		},
		{
			name: "word across a chunk boundary", text: boundary,
			words: []string{"budget"}, contains: []string{"<mark>budget</mark>"},
		},
		{
			name: "invalid utf-8", text: "budget \xff\xfe réunion",
			words: []string{"reunion"}, contains: []string{"<mark>réunion</mark>"},
		},
		{name: "empty text", text: "", words: []string{"budget"}, want: nil},
		{
			// The text's own ellipses at the cuts: no second one added.
			name: "ellipses in the text", text: strings.Repeat("… ", 300) + "budget" + strings.Repeat(" …", 300),
			words: []string{"budget"}, contains: []string{"<mark>budget</mark>"}, maxFragments: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cr := &countingReader{r: strings.NewReader(tt.text)}
			got, err := makeSnippets(cr, testMatcher(t, tt.words...))
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != nil || tt.text == "" {
				if strings.Join(got, "|") != strings.Join(tt.want, "|") {
					t.Errorf("snippets = %q, want %q", got, tt.want)
				}
			}
			all := strings.Join(got, " | ")
			for _, c := range tt.contains {
				if !strings.Contains(all, c) {
					t.Errorf("snippets %q lack %q", all, c)
				}
			}
			if tt.maxFragments > 0 && (len(got) == 0 || len(got) > tt.maxFragments) {
				t.Errorf("%d fragments, want 1..%d", len(got), tt.maxFragments)
			}
			for _, s := range got {
				if strings.Contains(s, "……") || (!strings.Contains(tt.text, "…") && strings.Contains(s, "… …")) {
					t.Errorf("doubled ellipsis in %q", s)
				}
				if !utf8.ValidString(s) {
					t.Errorf("invalid UTF-8 in %q", s)
				}
				plain := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(s)
				if n := utf8.RuneCountInString(plain); n > fragmentRunes+40 {
					t.Errorf("fragment of %d runes: %q", n, s)
				}
			}
			if tt.maxRead > 0 && cr.n > tt.maxRead {
				t.Errorf("read %d bytes, want at most %d", cr.n, tt.maxRead)
			}
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestMakeSnippetsReadError(t *testing.T) {
	if _, err := makeSnippets(failingReader{}, testMatcher(t, "budget")); err == nil {
		t.Error("makeSnippets on a failing reader: no error")
	}
}
