package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"golang.org/x/text/unicode/norm"
)

// foldFilter removes diacritics and expands ligatures so that "réunion",
// "REUNION" and "reunion" share one term. It runs after to_lower.
type foldFilter struct{}

func (foldFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	for _, tok := range in {
		tok.Term = foldBytes(tok.Term)
	}
	return in
}

// foldBytes returns b folded to its accent-free form. ASCII input (most
// tokens, even in French) is returned as is without allocating.
func foldBytes(b []byte) []byte {
	ascii := true
	for _, c := range b {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return b
	}
	return []byte(foldString(string(b)))
}

// foldString lower-cases and folds s. Latin letters are folded from a
// table (the common case, and much cheaper than normalisation); anything
// else goes through compatibility decomposition (NFKD: "ﬁ" gives "fi")
// with the combining marks dropped.
func foldString(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	for _, r := range s {
		r = unicode.ToLower(r)
		switch {
		case r < utf8.RuneSelf:
			sb.WriteRune(r)
		case r < 0x250 && latinFold[r] != "":
			sb.WriteString(latinFold[r])
		case r == '\u2019' || r == '\u02bc' || r == '\u2018':
			// Typographic apostrophes: "aujourd’hui" must equal "aujourd'hui".
			sb.WriteByte('\'')
		case unicode.Is(unicode.Mn, r):
		default:
			for _, d := range norm.NFKD.String(string(r)) {
				if !unicode.Is(unicode.Mn, d) {
					sb.WriteRune(d)
				}
			}
		}
	}
	return sb.String()
}

// latinFold maps lower-case Latin-1 and Latin Extended-A/B letters to ASCII.
var latinFold = func() [0x250]string {
	var t [0x250]string
	for r := rune(0xC0); r < 0x250; r++ {
		var out []rune
		for _, d := range norm.NFKD.String(string(r)) {
			if !unicode.Is(unicode.Mn, d) {
				out = append(out, d)
			}
		}
		if len(out) > 0 && string(out) != string(r) {
			t[r] = string(out)
		}
	}
	for r, f := range map[rune]string{
		'œ': "oe", 'æ': "ae", 'ß': "ss", 'ø': "o", 'đ': "d", 'ð': "d", 'ł': "l",
		'ı': "i", 'þ': "th", 'ħ': "h", 'ŧ': "t", 'ƒ': "f",
	} {
		t[r] = f
	}
	return t
}()

// foldKeyword normalises a keyword value (tag, folder name) for exact but
// case- and accent-insensitive matching: "Assemblée Générale " and
// "assemblee generale" give the same key.
func foldKeyword(s string) string {
	return strings.Join(strings.Fields(foldString(s)), " ")
}
