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
	index "github.com/blevesearch/bleve_index_api"
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

// forwardOnly is a TermFieldReader that records Advance calls at or
// before the document it is on, which make scorch restart the reader.
type forwardOnly struct {
	index.TermFieldReader
	cur       index.IndexInternalID
	backwards int
}

func (f *forwardOnly) Advance(id index.IndexInternalID, pre *index.TermFieldDoc) (*index.TermFieldDoc, error) {
	if f.cur != nil && f.cur.Compare(id) >= 0 {
		f.backwards++
	}
	d, err := f.TermFieldReader.Advance(id, pre)
	if d != nil {
		f.cur = append(f.cur[:0], d.ID...)
	}
	return d, err
}

// A position reader asked about documents in increasing order answers for
// each, including a document it already landed on while looking for an
// earlier one, without asking scorch to go back; and nothing where the
// term is absent.
func TestPositionReaderForwardOnly(t *testing.T) {
	var docs []Document
	want := map[string][]uint64{}
	for i := range 10 {
		text := "beta gamma"
		if i%3 == 2 {
			text = "beta " + strings.Repeat("gamma ", i) + "alpha"
			want[fmt.Sprintf("p%d", i)] = []uint64{uint64(i + 2)}
		}
		docs = append(docs, Document{ID: fmt.Sprintf("p%d", i), Name: "x.txt", Path: "/x.txt", Lang: "fr", Content: text})
	}
	ix, err := Open(t.TempDir(), testLogger(t), WithShards(1))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if err := ix.Apply(t.Context(), docs, nil); err != nil {
		t.Fatal(err)
	}
	adv, err := ix.sh[0].Advanced()
	if err != nil {
		t.Fatal(err)
	}
	r, err := adv.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	type doc struct {
		id  string
		iid index.IndexInternalID
	}
	var order []doc
	for _, d := range docs {
		iid, err := r.InternalID(d.ID)
		if err != nil || iid == nil {
			t.Fatalf("internal id of %s: %v", d.ID, err)
		}
		order = append(order, doc{d.ID, iid})
	}
	slices.SortFunc(order, func(a, b doc) int { return a.iid.Compare(b.iid) })
	without := func(ids ...string) []doc {
		return slices.DeleteFunc(slices.Clone(order), func(d doc) bool { return slices.Contains(ids, d.id) })
	}
	// Every document; then with the documents holding the term reached
	// only after one without it (the reader lands on them early).
	for _, pass := range [][]doc{order, without("p3", "p4"), without("p2", "p5")} {
		tfr, err := r.TermFieldReader(t.Context(), []byte("alpha"), fContent, false, false, true)
		if err != nil {
			t.Fatal(err)
		}
		fo := &forwardOnly{TermFieldReader: tfr}
		pr := &positionReader{tfr: fo}
		for _, d := range pass {
			got, err := pr.positionsAt(d.iid.Value(), d.iid)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want[d.id]) {
				t.Errorf("positions of alpha in %s = %v, want %v", d.id, got, want[d.id])
			}
		}
		if fo.backwards != 0 {
			t.Errorf("%d Advance calls at or before the reader's document", fo.backwards)
		}
		tfr.Close()
	}
}
