package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync"

	"notreasso/internal/testutil/prose"
)

// writeRandomFile writes size deterministic pseudo-random bytes (ChaCha8,
// seeded by seed) to path, streaming, and returns their SHA-256. Random
// content defeats compression and deduplication anywhere on the way.
func writeRandomFile(path string, size int64, seed byte) (string, error) {
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("create %s: %w", path, err)
	}
	defer f.Close()
	var key [32]byte
	key[0] = seed
	h := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	if _, err := io.CopyN(w, rand.NewChaCha8(key), size); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("close %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashFile returns the SHA-256 of a file, streaming.
func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// prose generates the documents' text: French and English association
// prose with realistic word frequencies (internal/testutil/prose, the
// same generator as the search index's own benchmarks).
var proseGen = sync.OnceValue(func() *prose.Gen { return prose.New(2026) })

// docText is the deterministic text of document i: 2 to 20 KB of prose
// (11 KB on average; French 85%, English 15%) after a token found in no
// other document (docNNNNNN), to check it is searchable.
func docText(i int) string {
	g := proseGen()
	r := rand.New(rand.NewPCG(uint64(i), 2026))
	lang := g.Lang(r)
	return "Document " + docToken(i) + "\n\n" + g.Text(r, lang, 2048+r.IntN(18*1024))
}

func docToken(i int) string { return fmt.Sprintf("doc%06d", i) }

// docPath puts 1000 documents per folder.
func docPath(i int) string { return fmt.Sprintf("/docs/f%03d/%s.txt", i/1000, docToken(i)) }

// queries are the search terms timed, in the mix the search index's own
// benchmark uses: 45% one word, 20% two words, 10% phrases cut from the
// documents, 10% a word in one folder, 5% a word without another, 10%
// name prefixes. Words follow the documents' frequencies.
func queries(n, docs int) []string {
	g := proseGen()
	r := rand.New(rand.NewPCG(7, 2026))
	out := make([]string, n)
	for i := range out {
		switch p := r.IntN(100); {
		case p < 45:
			out[i] = g.QueryWord(r)
		case p < 65:
			out[i] = g.QueryWord(r) + " " + g.QueryWord(r)
		case p < 75:
			ws := strings.Fields(docText(r.IntN(docs)))[2:]
			k := r.IntN(len(ws) - 3)
			out[i] = `"` + strings.Trim(strings.Join(ws[k:k+2+r.IntN(2)], " "), ".,") + `"`
		case p < 85:
			out[i] = fmt.Sprintf("%s folder:f%03d", g.QueryWord(r), r.IntN((docs+999)/1000))
		case p < 90:
			out[i] = g.QueryWord(r) + " -" + g.QueryWord(r)
		default:
			w := []rune(g.FrenchNoun(r))
			out[i] = string(w[:min(len(w), 3+r.IntN(3))])
		}
	}
	return out
}
