package search

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
	"golang.org/x/text/unicode/norm"
)

// Names under which our analysis components are registered in bleve's
// global registry. The registry is process-wide, hence the prefix.
const (
	foldFilterName     = "notreasso_fold"
	alnumTokenizerName = "notreasso_alnum"
)

func init() {
	err := registry.RegisterTokenFilter(foldFilterName,
		func(map[string]interface{}, *registry.Cache) (analysis.TokenFilter, error) {
			return foldFilter{}, nil
		})
	if err == nil {
		err = registry.RegisterTokenizer(alnumTokenizerName,
			func(map[string]interface{}, *registry.Cache) (analysis.Tokenizer, error) {
				return alnumTokenizer{}, nil
			})
	}
	if err != nil {
		// Only possible if another package registered the same names.
		panic(fmt.Sprintf("indexer/search: registering analysis components: %v", err))
	}
}

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

// foldString lower-cases and folds s. Compatibility decomposition (NFKD)
// turns "é" into "e"+U+0301 and "ﬁ" into "fi"; the combining marks are
// then dropped. Letters with no decomposition get an explicit mapping.
func foldString(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	for _, r := range norm.NFKD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		r = unicode.ToLower(r)
		switch r {
		case 'œ':
			sb.WriteString("oe")
		case 'æ':
			sb.WriteString("ae")
		case 'ß':
			sb.WriteString("ss")
		case 'ø':
			sb.WriteByte('o')
		case 'đ', 'ð':
			sb.WriteByte('d')
		case 'ł':
			sb.WriteByte('l')
		case 'ı':
			sb.WriteByte('i')
		case 'þ':
			sb.WriteString("th")
		case '\u2019', '\u02bc', '\u2018':
			// Typographic apostrophes: "aujourd’hui" must equal "aujourd'hui".
			sb.WriteByte('\'')
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// foldKeyword normalises a keyword value (tag, folder name) for exact but
// case- and accent-insensitive matching: "Assemblée Générale " and
// "assemblee generale" give the same key.
func foldKeyword(s string) string {
	return strings.Join(strings.Fields(foldString(s)), " ")
}

// alnumTokenizer splits on anything that is not a letter, digit or
// combining mark. Used for file names and paths, where the unicode (UAX#29)
// tokenizer would keep "rapport.final.pdf" or "compte_rendu" as one token.
// Unlike bleve's character tokenizer it does not stop at invalid UTF-8.
type alnumTokenizer struct{}

func (alnumTokenizer) Tokenize(input []byte) analysis.TokenStream {
	var out analysis.TokenStream
	start := -1
	pos := 0
	emit := func(end int) {
		pos++
		out = append(out, &analysis.Token{
			Term: input[start:end], Start: start, End: end,
			Position: pos, Type: analysis.AlphaNumeric,
		})
		start = -1
	}
	for i := 0; i < len(input); {
		r, size := utf8.DecodeRune(input[i:])
		isTok := r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r))
		switch {
		case isTok && start < 0:
			start = i
		case !isTok && start >= 0:
			emit(i)
		}
		i += size
	}
	if start >= 0 {
		emit(len(input))
	}
	return out
}
