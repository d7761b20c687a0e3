package search

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// TestExactPhraseMatchesBleve compares exactPhraseQuery with bleve's
// MatchPhraseQuery on random texts from a small vocabulary (stop words,
// elisions, accents, repeated words) and random phrases, some taken from
// the texts, some not.
func TestExactPhraseMatchesBleve(t *testing.T) {
	vocab := strings.Fields("la le de des l'assemblée assemblée générale Générale comptes compte approuvés " +
		"salle fêtes fetes très bien et du bureau statuts")
	r := rand.New(rand.NewPCG(1, 2))
	words := func(n int) []string {
		w := make([]string, n)
		for i := range w {
			w[i] = vocab[r.IntN(len(vocab))]
		}
		return w
	}
	var docs []Document
	var texts [][]string
	for i := range 60 {
		w := words(5 + r.IntN(60))
		texts = append(texts, w)
		docs = append(docs, Document{ID: fmt.Sprintf("d%02d", i), Name: fmt.Sprintf("f%02d.txt", i), Path: fmt.Sprintf("/f%02d.txt", i),
			Lang: "fr", Content: strings.Join(w, " ")})
	}
	ix, _ := openTest(t, docs...)
	ids := func(q query.Query) []string {
		res, err := ix.sh.search(t.Context(), &bleve.SearchRequest{Query: q, Size: 1000})
		if err != nil {
			t.Fatalf("%v", err)
		}
		var out []string
		for _, h := range res.Hits {
			out = append(out, h.ID)
		}
		slices.Sort(out)
		return out
	}
	nonEmpty := 0
	for i := range 400 {
		var phrase []string
		if i%2 == 0 { // a piece of a document: found at least there
			d := texts[r.IntN(len(texts))]
			start := r.IntN(len(d))
			phrase = d[start:min(len(d), start+1+r.IntN(4))]
		} else {
			phrase = words(1 + r.IntN(4))
		}
		ph := strings.Join(phrase, " ")
		theirs := query.NewMatchPhraseQuery(ph)
		theirs.SetField(fContent)
		theirs.Analyzer = anFold
		want, got := ids(theirs), ids(newExactPhraseQuery(ph, fContent, anFold, 1))
		if len(want) > 0 {
			nonEmpty++
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q: got %v, bleve's MatchPhraseQuery %v", ph, got, want)
		}
	}
	if nonEmpty < 100 {
		t.Errorf("only %d of 400 phrases matched anything: the comparison proves little", nonEmpty)
	}
}

// TestPhraseOnRepetitiveText: bleve's phrase matcher costs the product of
// the words' occurrences in a document; this text repeats each word
// 25 000 times (6×10^8 steps: 7.4 s with bleve's MatchPhraseQuery on
// the project's loaded machine, 16 ms with exactPhraseQuery).
func TestPhraseOnRepetitiveText(t *testing.T) {
	line := "Rapport de la commission des finances sur le budget prévisionnel de l'exercice.\n"
	text := strings.Repeat(line, (2<<20)/len(line))
	ix, _ := openTest(t, Document{ID: "big", Name: "big.txt", Path: "/big.txt", Lang: "fr", Content: text},
		Document{ID: "other", Name: "o.txt", Path: "/o.txt", Lang: "fr", Content: "la commission de la culture"})
	start := time.Now()
	res := search(t, ix, Query{Text: `"commission des finances"`, Access: all})
	took := time.Since(start)
	t.Logf("phrase search on a 2 MiB repetitive text: %s", took)
	if got := ids(res); !slices.Equal(got, []string{"big"}) {
		t.Errorf("got %v, want [big]", got)
	}
	if res := search(t, ix, Query{Text: `"finances des commission"`, Access: all}); len(res.Hits) != 0 {
		t.Errorf("words out of order matched: %v", ids(res))
	}
	if took > 5*time.Second {
		t.Errorf("phrase search took %s", took)
	}
}
