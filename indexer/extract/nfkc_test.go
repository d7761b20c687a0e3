package extract

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// TestNFKCWriterMatchesNorm compares the streaming NFKC writer with
// package norm on random text mixing ASCII, accented letters, decomposed
// accents, ligatures, compatibility characters and Hangul, written in
// random pieces that cut runes and segments anywhere.
func TestNFKCWriterMatchesNorm(t *testing.T) {
	alphabet := []string{"a", "e", " ", "\n", "é", "è", "à", "ç", "Œ", "œ", "ß", "e\u0301", "\u0301", "\u0327", "\u0323\u0302",
		"ﬁ", "ﬂ", "№", "½", "\u00a0", "\u202f", "’", "Å", "A\u030a", "\u212b", "ǖ", "u\u0308\u0304", "ﾀ", "가", "\u1100\u1161",
		"ㄱ", "①", "㎏", "Ω", "\u0344", "ά", "ϒ\u0301", "ﷺ", "\U0001D400", "\u0F73", "\uFF76", "\uFF9E", "\uFF9F", "\u3099", "\u2126\u0301", "\u00a0\u0301", "ﬁ\u0301", "\u1E9B\u0323"}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 2000 {
		var text bytes.Buffer
		for range rng.IntN(200) {
			text.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		var got bytes.Buffer
		w := &nfkcWriter{w: &got}
		rest := text.Bytes()
		for len(rest) > 0 {
			k := min(len(rest), 1+rng.IntN(12))
			w.Write(rest[:k])
			rest = rest[k:]
		}
		w.Close()
		if want := norm.NFKC.Bytes(text.Bytes()); !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("round %d: input %+q\n got %+q\nwant %+q", round, text.String(), got.String(), want)
		}
	}
}
