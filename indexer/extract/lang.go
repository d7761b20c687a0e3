package extract

import (
	"strings"
	"unicode"
)

// Stop words that are frequent in one language and rare in the other. Words
// shared by both ("a", "on", "as", "son") are left out so they cannot tip
// the balance. The elided articles l', d', qu' count as French.
var (
	frenchStopWords  = wordSet("le la les l de des du d et est une un pour dans que qu qui sur pas au aux avec ce cette ces sont par il elle nous vous ne se en ou mais plus été être leur très aussi comme")
	englishStopWords = wordSet("the and of to is in that for with are this be it was by not or have from at an which will were has their they been would there can about")
)

func wordSet(words string) map[string]bool {
	set := make(map[string]bool)
	for _, w := range strings.Fields(words) {
		set[w] = true
	}
	return set
}

// DetectLang guesses whether sample is French ("fr") or English ("en") by
// counting stop words of each language; it returns "" when the sample has
// too few of them or neither language clearly dominates. It is meant for
// choosing an analyser in the search index, not for general language
// identification.
func DetectLang(sample string) string {
	var fr, en int
	// Words are runs of letters. No stop word is longer than 6 bytes, so
	// longer words are skipped without being lower-cased or looked up, and
	// nothing is allocated: this runs on every extracted document.
	const longest = 6 // bytes of the longest stop word
	start := -1
	count := func(w string) {
		if len(w) > longest {
			return
		}
		lw := w
		for i := 0; i < len(w); i++ {
			if c := w[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
				lw = strings.ToLower(w) // rare: capitals, accents
				break
			}
		}
		if frenchStopWords[lw] {
			fr++
		}
		if englishStopWords[lw] {
			en++
		}
	}
	for i, r := range sample {
		if unicode.IsLetter(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			count(sample[start:i])
			start = -1
		}
	}
	if start >= 0 {
		count(sample[start:])
	}
	const minHits = 3
	switch {
	case fr >= minHits && fr > 2*en:
		return "fr"
	case en >= minHits && en > 2*fr:
		return "en"
	}
	return ""
}
