package extract

import (
	"context"
	"io"
	"testing"

	"golang.org/x/text/unicode/norm"

	"notreasso/indexer/extract/testdocs"
)

// BenchmarkExtractText measures the text path (charset decoding, control
// cleanup, NFKC) on typeset French.
func BenchmarkExtractText(b *testing.B) {
	const size = 64 << 20
	doc := testdocs.RepeatedText(frenchLine, size)
	b.SetBytes(size)
	for b.Loop() {
		res, err := Extract(context.Background(), doc, size, "text/plain", "big.txt", io.Discard, Limits{MaxTextBytes: 1 << 30})
		if err != nil || res.Status != StatusOK {
			b.Fatal(res, err)
		}
	}
}

// BenchmarkNFKC compares the sink's NFKC writer with norm.Writer on
// typeset French (no-break spaces, quotes, a ligature).
func BenchmarkNFKC(b *testing.B) {
	const size = 64 << 20
	doc := testdocs.RepeatedText(frenchLine, size)
	for _, c := range []struct {
		name string
		new  func(io.Writer) io.WriteCloser
	}{
		{"nfkcWriter", func(w io.Writer) io.WriteCloser { return &nfkcWriter{w: w} }},
		{"norm.Writer", func(w io.Writer) io.WriteCloser { return norm.NFKC.Writer(w) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				w := c.new(io.Discard)
				if _, err := io.Copy(w, io.NewSectionReader(doc, 0, size)); err != nil {
					b.Fatal(err)
				}
				w.Close()
			}
		})
	}
}
