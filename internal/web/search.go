package web

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"notreasso/indexer"
	"notreasso/indexer/search"
	"notreasso/internal/acl"
	"notreasso/internal/repo"
)

// IndexSearcher adapts the indexer to the Searcher the pages and the API
// use. The permission filter is applied by the indexer inside the query.
func IndexSearcher(ix *indexer.Indexer, r *repo.Service) Searcher {
	return indexSearcher{ix: ix, repo: r}
}

// IndexTexts adapts the indexer's text cache for office-document previews.
func IndexTexts(ix *indexer.Indexer) TextSource { return indexTexts{ix} }

type indexSearcher struct {
	ix   *indexer.Indexer
	repo *repo.Service
}

func (s indexSearcher) Search(ctx context.Context, p acl.Principal, q SearchQuery) (SearchResult, error) {
	sq := search.Query{Text: q.Q, Author: q.Author, Limit: HitsPerPage, Offset: (max(q.Page, 1) - 1) * HitsPerPage}
	switch q.Sort {
	case "modified", "date":
		sq.Sort = "date"
	}
	if q.Tag != "" {
		sq.Tags = []string{q.Tag}
	}
	if q.Type != "" {
		sq.Types = []string{q.Type}
	}
	if q.Folder != "" {
		// A folder is named by its path (what facets show) or its id.
		var n repo.Node
		var err error
		if id, perr := strconv.ParseInt(q.Folder, 10, 64); perr == nil {
			n, err = s.repo.Tree.StatID(ctx, p, id)
		} else {
			n, err = s.repo.Tree.Stat(ctx, p, q.Folder)
		}
		if err != nil {
			return SearchResult{}, err
		}
		sq.Folder = repo.FormatID(n.ID)
	}
	var err error
	if sq.From, err = parseDay(q.From); err != nil {
		return SearchResult{}, err
	}
	if sq.To, err = parseDay(q.To); err != nil {
		return SearchResult{}, err
	}
	if !sq.To.IsZero() {
		sq.To = sq.To.AddDate(0, 0, 1) // "to" includes that day
	}
	res, err := s.ix.Search(ctx, p, sq)
	if errors.Is(err, search.ErrInvalidQuery) {
		return SearchResult{}, fmt.Errorf("%w: %v", errBadRequest, err)
	}
	if err != nil {
		return SearchResult{}, err
	}
	out := SearchResult{Total: int(res.Total), Fuzzy: res.Fuzzy, Suggestion: res.Suggestion, Unmatched: res.Unmatched, Partial: res.Partial}
	for _, h := range res.Hits {
		id, _ := strconv.ParseInt(h.ID, 10, 64)
		hit := SearchHit{ID: id, Path: h.Path, Name: h.Name, Mime: h.Mime, Size: h.Size,
			Modified: h.Modified, Date: h.Date, Title: search.DistinctTitle(h.Title, h.Name), Tags: h.Tags, Score: h.Score, Snippets: h.Snippets, Missing: h.Missing}
		if hit.Tags == nil {
			hit.Tags = []string{}
		}
		if hit.Snippets == nil {
			hit.Snippets = []string{}
		}
		out.Hits = append(out.Hits, hit)
	}
	facets := func(fs []search.FacetCount) []Facet {
		out := make([]Facet, 0, len(fs))
		for _, f := range fs {
			out = append(out, Facet{Term: f.Term, Count: f.Count})
		}
		return out
	}
	out.Facets = SearchFacets{Tags: facets(res.Facets.Tags), Types: facets(res.Facets.Types), Years: facets(res.Facets.Years)}
	// The index counts documents by top-level folder id; people read paths.
	for _, f := range res.Facets.Folders {
		id, err := strconv.ParseInt(f.Term, 10, 64)
		if err != nil {
			continue
		}
		n, err := s.repo.Tree.StatID(ctx, p, id)
		if err != nil {
			continue
		}
		out.Facets.Folders = append(out.Facets.Folders, Facet{Term: n.Path, Count: f.Count})
	}
	return out, nil
}

// maxCollectionSuggestions is the room collections get among the
// suggestions.
const maxCollectionSuggestions = 2

func (s indexSearcher) Suggest(ctx context.Context, p acl.Principal, text string) ([]Suggestion, error) {
	// Collections are not in the index: their titles come from the
	// repository, only those p may see (as on the collections page).
	var cols []repo.CollectionTitle
	if last := strings.Fields(text); len(last) > 0 && utf8.RuneCountInString(last[len(last)-1]) >= 2 {
		var err error
		cols, err = s.repo.Collections.CollectionTitles(ctx, p, func(title string) bool { return search.WordsStart(title, text) }, maxCollectionSuggestions)
		if err != nil {
			return nil, err
		}
	}
	ss, err := s.ix.Suggest(ctx, p, text, MaxSuggestions-len(cols))
	if err != nil {
		return nil, err
	}
	out := make([]Suggestion, 0, len(ss)+len(cols))
	for _, x := range ss {
		out = append(out, Suggestion{Kind: x.Kind, Label: x.Label, Path: x.Path})
	}
	for _, c := range cols {
		out = append(out, Suggestion{Kind: "collection", Label: c.Title, URL: "/collections/" + strconv.FormatInt(c.ID, 10)})
	}
	return out, nil
}

func parseDay(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: dates are YYYY-MM-DD", errBadRequest)
	}
	return t, nil
}

type indexTexts struct{ ix *indexer.Indexer }

func (t indexTexts) Text(ctx context.Context, sha256 string, max int) (string, bool, error) {
	text, err := t.ix.Text(sha256, int64(max))
	return text, text != "", err
}
