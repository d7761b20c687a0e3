package extract

import (
	"context"
	"io"
	"testing"
)

// BenchmarkExtractText measures the text path (charset decoding, control
// cleanup, NFKC) on typeset French.
func BenchmarkExtractText(b *testing.B) {
	const size = 64 << 20
	doc := repeatedText{line: []byte(frenchLine), size: size}
	b.SetBytes(size)
	for b.Loop() {
		res, err := Extract(context.Background(), doc, size, "text/plain", "big.txt", io.Discard, Limits{MaxTextBytes: 1 << 30})
		if err != nil || res.Status != StatusOK {
			b.Fatal(res, err)
		}
	}
}
