package search

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkSuggest: completions of file-name prefixes shared by many
// names (doc0 starts a tenth of them), as the member of make bench.
func BenchmarkSuggest(b *testing.B) {
	ix, err := Open(b.TempDir(), testLogger(b))
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	const n = 20000
	var docs []Document
	for i := range n {
		f := fmt.Sprintf("f%03d", i/1000)
		docs = append(docs, Document{ID: fmt.Sprintf("%d", i+1000), Name: fmt.Sprintf("doc%06d.txt", i),
			Path: fmt.Sprintf("/docs/%s/doc%06d.txt", f, i), Ancestors: []string{"1", "2", f}, Content: "texte court"})
	}
	if err := ix.Apply(context.Background(), docs, nil); err != nil {
		b.Fatal(err)
	}
	acc := Access{Roots: []string{"f000", "f001", "f003", "f005", "f006", "f008", "f010", "f011", "f013", "f015", "f016", "f018"}}
	for _, p := range []string{"doc0", "doc01", "doc012", "f0", "budg"} {
		b.Run(p, func(b *testing.B) {
			for b.Loop() {
				if _, err := ix.Suggest(context.Background(), p, acc, 8); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
