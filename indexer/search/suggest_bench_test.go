package search

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
	if err := ix.Apply(context.Background(), suggestBenchDocs(n), nil); err != nil {
		b.Fatal(err)
	}
	runSuggestBench(b, ix, []string{"doc0", "doc01", "doc012", "f0", "budg"})
}

// BenchmarkSuggest100k: the same at make bench's 100 000 documents
// (names doc000000…doc099999 in 100 folders, the reader granted 60), the
// index built once into NOTREASSO_BENCH_DIR and kept for later runs.
func BenchmarkSuggest100k(b *testing.B) {
	const n = 100000
	dir := filepath.Join(benchDir(b), fmt.Sprintf("suggest-%d-v%s", n, mappingVersion))
	_, statErr := os.Stat(filepath.Join(dir, "built"))
	ix, err := Open(dir, testLogger(b))
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	if statErr != nil {
		b.Logf("indexing %d names into %s", n, dir)
		docs := suggestBenchDocs(n)
		for i := 0; i < n; i += 2000 {
			if err := ix.Apply(context.Background(), docs[i:min(n, i+2000)], nil); err != nil {
				b.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "built"), nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	runSuggestBench(b, ix, []string{"doc0", "doc00", "doc001", "doc0012", "f0", "f01", "budg"})
}

// suggestBenchDocs are n documents named as make bench names them, 1000
// per folder.
func suggestBenchDocs(n int) []Document {
	docs := make([]Document, 0, n)
	for i := range n {
		f := fmt.Sprintf("f%03d", i/1000)
		docs = append(docs, Document{ID: fmt.Sprintf("%d", i+1000), Name: fmt.Sprintf("doc%06d.txt", i),
			Path: fmt.Sprintf("/docs/%s/doc%06d.txt", f, i), Ancestors: []string{"1", "2", f}, Content: "texte court"})
	}
	return docs
}

// runSuggestBench times each prefix as a reader granted three folders in
// five (as make bench's lecteur).
func runSuggestBench(b *testing.B, ix *Index, prefixes []string) {
	var acc Access
	for f := range 100 {
		if m := f % 5; m == 0 || m == 1 || m == 3 {
			acc.Roots = append(acc.Roots, fmt.Sprintf("f%03d", f))
		}
	}
	for _, p := range prefixes {
		b.Run(p, func(b *testing.B) {
			for b.Loop() {
				if _, err := ix.Suggest(context.Background(), p, acc, 8); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
