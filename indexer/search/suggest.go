package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/search/query"
)

// Suggestion is one completion offered while typing: a document's name or
// title or a folder's name (with its path), or a tag.
type Suggestion struct {
	Kind  string // "file", "title", "folder" or "tag"
	Label string // what is shown and put in the search box
	Path  string // file and folder: where it is
}

// suggestDocs is how many matching documents of each shard the file
// names and tags are taken from, and suggestFolderDocs the folders: the
// first ones in index order, ranked among themselves (see rankFiles).
// Reading stops there, so a prefix that starts every name costs what a
// rare one does.
const (
	suggestDocs       = 16
	suggestFolderDocs = 16
)

// suggestTimeout bounds the index's part of a suggestion: past it, what
// was found is offered (a suggestion that comes after the next key press
// is useless).
const suggestTimeout = 40 * time.Millisecond

// Suggest completes the last word of text from the names, titles,
// folders and tags of documents the user may read (Access as for Search):
// documents whose name, title, path or tag has a word starting with it. Everything offered
// comes from those documents' stored fields, and the permission filter is
// part of the index query, so nothing of a document the user may not read
// can appear. At most n suggestions, files first.
func (ix *Index) Suggest(ctx context.Context, text string, access Access, n int) ([]Suggestion, error) {
	fields := strings.Fields(text)
	if len(fields) == 0 || n <= 0 || (!access.All && len(access.Roots) == 0) {
		return nil, nil
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.sh == nil {
		return nil, ErrClosed
	}
	word := fields[len(fields)-1]
	ts := terms(ix.an.name, word)
	if len(ts) == 0 || utf8.RuneCountInString(ts[len(ts)-1]) < 2 {
		return nil, nil
	}
	prefix := ts[len(ts)-1]
	c := compiled{}
	if !access.All {
		c.acl = access.Roots
		c.cuts = cutsOf(c.acl, access)
	}
	qctx, cancel := context.WithTimeout(ctx, suggestTimeout)
	defer cancel()
	run := func(limit int, alts ...query.Query) ([]meta, error) {
		ms, err := ix.sh.first(qctx, c.restrict(query.NewDisjunctionQuery(alts)), limit)
		if err != nil && ctx.Err() == nil && qctx.Err() != nil {
			return ms, nil // out of time: offer what was found
		}
		if err != nil {
			return nil, fmt.Errorf("suggesting for %q: %w", text, err)
		}
		return ms, nil
	}
	// Files, titles and tags from the documents whose name, title or tag
	// starts so;
	// folders from those in a folder that does, asked apart so that the
	// thousands of files of a matching folder do not crowd the named ones
	// out. Each is one posting list of the prefix field.
	named, err := run(suggestDocs, filterTerm(fSuggest, suggestName+cutPrefix(prefix)), filterTerm(fSuggest, suggestTitle+cutPrefix(prefix)),
		filterTerm(fSuggest, suggestTag+cutPrefix(foldKeyword(word))))
	if err != nil {
		return nil, err
	}
	inFolders, err := run(suggestFolderDocs, filterTerm(fSuggest, suggestFolder+cutPrefix(prefix)))
	if err != nil {
		return nil, err
	}
	starts := func(s string) bool {
		for _, t := range terms(ix.an.name, s) {
			if strings.HasPrefix(t, prefix) {
				return true
			}
		}
		return false
	}
	var files, titles, folders, tags []Suggestion
	seen := map[string]bool{}
	add := func(list *[]Suggestion, s Suggestion) {
		if k := s.Kind + "\x00" + s.Label + "\x00" + s.Path; !seen[k] {
			seen[k] = true
			*list = append(*list, s)
		}
	}
	rankFiles(ix.an, prefix, named)
	for _, m := range slices.Concat(named, inFolders) {
		if starts(m.Name) {
			add(&files, Suggestion{Kind: "file", Label: m.Name, Path: m.Path})
		}
		if DistinctTitle(m.Title, m.Name) != "" && starts(m.Title) {
			add(&titles, Suggestion{Kind: "title", Label: m.Title, Path: m.Path})
		}
		// Folders on the way to a visible document: the user may read
		// them (a grant on a folder covers its subtree; the path above a
		// grant is the user's own way in).
		segs := strings.Split(strings.Trim(m.Path, "/"), "/")
		for i, seg := range segs[:max(0, len(segs)-1)] {
			if starts(seg) {
				add(&folders, Suggestion{Kind: "folder", Label: seg, Path: "/" + strings.Join(segs[:i+1], "/")})
			}
		}
		for _, t := range m.Tags {
			if strings.HasPrefix(foldKeyword(t), foldKeyword(word)) {
				add(&tags, Suggestion{Kind: "tag", Label: t})
			}
		}
	}
	// Files first, but room for two titles, two folders and two tags.
	titles, folders, tags = titles[:min(len(titles), 2)], folders[:min(len(folders), 2)], tags[:min(len(tags), 2)]
	files = files[:min(len(files), max(0, n-len(titles)-len(folders)-len(tags)))]
	out := slices.Concat(files, titles, folders, tags)
	return out[:min(len(out), n)], nil
}

// rankFiles orders the candidate documents by a score read from their
// names alone: a name with a word that is what was typed, then one whose
// first word starts with it, then shorter names, then the most recently
// changed.
func rankFiles(an *analyzers, prefix string, ms []meta) {
	type ranked struct {
		m    meta
		rank int
	}
	rs := make([]ranked, len(ms))
	for i, m := range ms {
		ws := terms(an.name, m.Name)
		rs[i] = ranked{m, 2}
		switch {
		case slices.Contains(ws, prefix):
			rs[i].rank = 0
		case len(ws) > 0 && strings.HasPrefix(ws[0], prefix):
			rs[i].rank = 1
		}
	}
	slices.SortStableFunc(rs, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(len(a.m.Name), len(b.m.Name)),
			b.m.Modified.Compare(a.m.Modified), strings.Compare(a.m.Name, b.m.Name))
	})
	for i := range rs {
		ms[i] = rs[i].m
	}
}

// WordsStart reports whether every word of text starts a word of s,
// accents and case aside: how the search box completes titles that are
// not in the index (collections).
func WordsStart(s, text string) bool {
	split := func(x string) []string {
		return strings.FieldsFunc(foldString(x), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	}
	words := split(s)
	typed := split(text)
	if len(typed) == 0 {
		return false
	}
	for _, t := range typed {
		if !slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, t) }) {
			return false
		}
	}
	return true
}

// The suggest field holds the beginnings (2 to maxSuggestPrefix letters)
// of the words of a document's name, title and folders and of its tags, each
// marked with its kind: completing a prefix is one posting list, however
// many names start with it, where a prefix query on the name field ORs
// the postings of every name term that starts with it (1.7 s for doc0 on
// 20 000 names, BenchmarkSuggest).
const (
	suggestName      = "n:"
	suggestFolder    = "f:"
	suggestTag       = "t:"
	suggestTitle     = "h:"
	maxSuggestPrefix = 12
)

// cutPrefix shortens what was typed to the longest prefix indexed; the
// suggestions are then checked against the whole of it.
func cutPrefix(p string) string {
	if r := []rune(p); len(r) > maxSuggestPrefix {
		return string(r[:maxSuggestPrefix])
	}
	return p
}

// suggestTerms are a document's values of the suggest field.
func suggestTerms(a *analyzers, d *Document) []string {
	var out []string
	add := func(kind string, words []string) {
		for _, w := range words {
			r := []rune(w)
			for n := 2; n <= min(len(r), maxSuggestPrefix); n++ {
				out = append(out, kind+string(r[:n]))
			}
		}
	}
	add(suggestName, terms(a.name, d.Name))
	add(suggestTitle, terms(a.name, d.Title))
	for _, f := range folderComponents(d.Path) {
		add(suggestFolder, terms(a.name, f))
	}
	for _, t := range d.Tags {
		add(suggestTag, []string{foldKeyword(t)})
	}
	return out
}
