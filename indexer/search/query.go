package search

import (
	"strings"
	"time"
	"unicode"
)

// Query is one search request.
//
// Text is what the user typed, in a small syntax of our own (bleve's
// query-string syntax is never exposed):
//
//	budget réunion      documents matching every word (ranked); words are
//	                    matched in the content (French or English stemming,
//	                    accents optional), the name and the path (also by
//	                    prefix: "rapp" finds "Rapport.pdf"), and the tags
//	"assemblée générale" a phrase (accents and case optional)
//	-brouillon          excludes documents matching the word (or -"phrase")
//	tag:finances        has the tag (tag:"conseil d'administration");
//	                    also étiquette:
//	type:pdf            by family (pdf, document, spreadsheet/tableur,
//	                    presentation, image, …), extension (type:docx) or
//	                    mime type; several type: clauses are alternatives
//	folder:Compta       in a folder with that name, or folder:/Compta/2024
//	                    under that path; also dossier:; alternatives
//	author:jdupont      by author login; also auteur:; alternatives
//
// Any filter can be negated with a leading "-". Common words (le, la, de,
// the, of, …) are ignored unless the query has nothing else. An unknown
// prefix ("http:", "12:30") is taken as a plain word.
//
// The other fields are structured filters from the UI (facets); they
// combine with the text with AND.
type Query struct {
	Text   string
	Tags   []string  // every tag required
	Types  []string  // any of these types (same values as type:)
	Folder string    // ancestor folder id: only documents below it
	Author string    // author login
	From   time.Time // modified at or after From (zero: no bound)
	To     time.Time // modified before To (zero: no bound)
	Sort   string    // "relevance" (default) or "date" (newest first)
	Offset int       // hits to skip; at most MaxOffset
	Limit  int       // hits to return: 0 means DefaultLimit; at most MaxLimit
	Access Access    // REQUIRED permission filter
	// Exact turns the forgiving passes off (typo tolerance, "did you
	// mean", partial matches): only documents with every word as typed
	// or stemmed.
	Exact bool
}

// Access says what the searching user may see. The filter is applied inside
// the index query, so hits, totals and facets only ever count visible
// documents, and no snippet of another document is read.
type Access struct {
	All   bool     // administrators: everything
	Roots []string // otherwise: documents whose ID or an ancestor's is listed (subtree grants)
	// Cuts lists, for a root, the restricted folders strictly below it
	// (« accès restreint »): that root's grant does not reach their
	// subtrees (another root inside them may).
	Cuts map[string][]string
}

// Paging bounds. Deep pages cost a heap of Offset+Limit entries.
const (
	DefaultLimit = 20
	MaxLimit     = 100
	MaxOffset    = 10000
)

// parsedText is the user's Text broken into clauses.
type parsedText struct {
	words, phrases       []string // positive: every one must match
	notWords, notPhrases []string // excluded
	filters              []filterClause
}

type filterClause struct {
	kind  string // "tag", "type", "folder", "author"
	value string
	neg   bool
}

// filterKeys maps the accepted prefixes (folded) to filter kinds.
var filterKeys = map[string]string{
	"tag": "tag", "tags": "tag", "etiquette": "tag", "etiquettes": "tag",
	"type": "type", "format": "type",
	"folder": "folder", "dossier": "folder", "in": "folder", "dans": "folder",
	"author": "author", "auteur": "author", "by": "author", "par": "author",
}

// parseText splits user text into clauses. It never fails: unbalanced
// quotes end at the end of the text, stray characters become words (which
// analysis may then reduce to nothing).
func parseText(s string) parsedText {
	var p parsedText
	rs := []rune(s)
	i := 0
	for i < len(rs) {
		for i < len(rs) && unicode.IsSpace(rs[i]) {
			i++
		}
		if i >= len(rs) {
			break
		}
		neg := false
		if (rs[i] == '-' || rs[i] == '+') && i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) {
			neg = rs[i] == '-'
			i++
		}
		if isQuote(rs[i]) {
			var phrase string
			phrase, i = readQuoted(rs, i)
			p.addPhrase(phrase, neg)
			continue
		}
		start := i
		for i < len(rs) && !unicode.IsSpace(rs[i]) && rs[i] != ':' {
			i++
		}
		if i < len(rs) && rs[i] == ':' && i > start {
			if kind, ok := filterKeys[foldKeyword(string(rs[start:i]))]; ok && i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) {
				var value string
				if isQuote(rs[i+1]) {
					value, i = readQuoted(rs, i+1)
				} else {
					vs := i + 1
					for i = vs; i < len(rs) && !unicode.IsSpace(rs[i]); i++ {
					}
					value = string(rs[vs:i])
				}
				if value = strings.TrimSpace(value); value != "" {
					p.filters = append(p.filters, filterClause{kind: kind, value: value, neg: neg})
				}
				continue
			}
		}
		for i < len(rs) && !unicode.IsSpace(rs[i]) {
			i++
		}
		word := string(rs[start:i])
		if neg {
			p.notWords = append(p.notWords, word)
		} else {
			p.words = append(p.words, word)
		}
	}
	return p
}

func (p *parsedText) addPhrase(phrase string, neg bool) {
	phrase = strings.TrimSpace(phrase)
	if phrase == "" {
		return
	}
	switch {
	case neg && len(strings.Fields(phrase)) == 1:
		p.notWords = append(p.notWords, phrase)
	case neg:
		p.notPhrases = append(p.notPhrases, phrase)
	case len(strings.Fields(phrase)) == 1:
		// "statuts" in quotes is still a word; quoting one word is common
		// and should not switch to exact matching.
		p.words = append(p.words, phrase)
	default:
		p.phrases = append(p.phrases, phrase)
	}
}

func isQuote(r rune) bool {
	return r == '"' || r == '«' || r == '»' || r == '“' || r == '”'
}

// readQuoted reads a quoted string starting at rs[i] (a quote) and returns
// its content and the index after the closing quote.
func readQuoted(rs []rune, i int) (string, int) {
	start := i + 1
	for i = start; i < len(rs); i++ {
		if isQuote(rs[i]) {
			return string(rs[start:i]), i + 1
		}
	}
	return string(rs[start:]), len(rs)
}
