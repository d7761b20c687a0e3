package web

import (
	"context"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/microcosm-cc/bluemonday"

	"notreasso/internal/acl"
)

// Searcher is the full-text search backend (package indexer provides it).
// It must only return what p may read. Deps.Searcher nil means search is
// not installed: the page says so and GET /api/v1/search answers 503.
type Searcher interface {
	Search(ctx context.Context, p acl.Principal, q SearchQuery) (SearchResult, error)
}

// Suggester completes the search box as the user types (optional: a
// Searcher that also implements it gets GET /api/v1/suggest). Only names
// and tags of documents p may read.
type Suggester interface {
	Suggest(ctx context.Context, p acl.Principal, text string) ([]Suggestion, error)
}

// Suggestion is one completion: a file or folder name (with its path), a
// tag, or a collection's title (with its page).
type Suggestion struct {
	Kind  string `json:"kind"` // file, folder, tag, collection
	Label string `json:"label"`
	Path  string `json:"path,omitempty"`
	URL   string `json:"url,omitempty"` // collection: its page
}

// MaxSuggestions is how many completions the search box shows.
const MaxSuggestions = 8

// SearchQuery is what the search page and GET /api/v1/search accept.
type SearchQuery struct {
	Q      string `json:"q"`
	Tag    string `json:"tag,omitempty"`
	Type   string `json:"type,omitempty"`
	Folder string `json:"folder,omitempty"`
	From   string `json:"from,omitempty"` // YYYY-MM-DD
	To     string `json:"to,omitempty"`
	Sort   string `json:"sort,omitempty"` // relevance (default), modified, name
	Page   int    `json:"page"`           // 1-based
	Author string `json:"author,omitempty"`
}

// SearchResult is one page of hits and the facets of the whole result.
type SearchResult struct {
	Total  int          `json:"total"`
	Hits   []SearchHit  `json:"hits"`
	Facets SearchFacets `json:"facets"`
	// When the words as typed find fewer than 3 documents (all drawn
	// from what the caller may read):
	Fuzzy      bool     `json:"fuzzy,omitempty"`      // some hits match a word with a typo
	Suggestion string   `json:"suggestion,omitempty"` // "did you mean": the corrected query
	Unmatched  []string `json:"unmatched,omitempty"`  // words found nowhere, even with a typo
	Partial    bool     `json:"partial,omitempty"`    // no document has every word; see SearchHit.Missing
}

// SearchHit is one document found. Snippets are HTML-escaped text where
// only <mark> tags mark the matches.
type SearchHit struct {
	ID       int64     `json:"id"`
	Path     string    `json:"path"`
	Name     string    `json:"name"`
	Mime     string    `json:"mime"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
	// Date is what the document is filed under (year facet, date sort): a
	// date in its name, else the date it carries (PDF, office, e-mail),
	// else Modified. Title is its own title (property or first heading),
	// if it has one that is not its file name.
	Date     time.Time `json:"date"`
	Title    string    `json:"title,omitempty"`
	Tags     []string  `json:"tags"`
	Score    float64   `json:"score"`
	Snippets []string  `json:"snippets"`
	Missing  []string  `json:"missing,omitempty"` // partial results: the words this document lacks
}

// SearchFacets counts hits by tag, type family, folder and year.
type SearchFacets struct {
	Tags    []Facet `json:"tags"`
	Types   []Facet `json:"types"`
	Folders []Facet `json:"folders"`
	Years   []Facet `json:"years"`
}

// Facet is one value of a facet and its count.
type Facet struct {
	Term  string `json:"term"`
	Count int    `json:"count"`
}

// HitsPerPage is the page size the UI asks for.
const HitsPerPage = 20

// markOnly lets snippets keep <mark> and nothing else: the server escapes
// them already, but the page does not trust that.
var markOnly = bluemonday.NewPolicy().AllowElements("mark")

func searchQueryOf(c *fiber.Ctx) SearchQuery {
	q := SearchQuery{Q: c.Query("q"), Tag: c.Query("tag"), Type: c.Query("type"), Folder: c.Query("folder"),
		From: c.Query("from"), To: c.Query("to"), Sort: c.Query("sort"), Author: c.Query("author")}
	q.Page, _ = strconv.Atoi(c.Query("page"))
	q.Page = max(q.Page, 1)
	return q
}

// values is the query as URL parameters, with one filter changed.
func (q SearchQuery) values(key, value string) url.Values {
	v := url.Values{}
	for k, x := range map[string]string{"q": q.Q, "tag": q.Tag, "type": q.Type, "folder": q.Folder, "from": q.From, "to": q.To, "sort": q.Sort} {
		if x != "" {
			v.Set(k, x)
		}
	}
	if key != "" {
		if value == "" {
			v.Del(key)
		} else {
			v.Set(key, value)
		}
	}
	return v
}

// facetLink is a facet value as a link that toggles its filter.
type facetLink struct {
	Term, Label, URL string
	Count            int
	On               bool
}

type facetGroup struct {
	Key, Label string
	Links      []facetLink
}

type searchView struct {
	Available bool
	Query     SearchQuery
	Result    SearchResult
	Hits      []hitView
	Facets    []facetGroup
	Prev      string
	Next      string
	Filtered  bool
	Clear     string
	Suggest   string // link to the corrected query ("did you mean")
}

type hitView struct {
	SearchHit
	Safe []template.HTML
}

// facetKeys are the search page's facet groups, in display order.
var facetKeys = []string{"tag", "type", "folder", "year"}

func (s *Server) searchPage(c *fiber.Ctx) error {
	pg := s.newPage(c, "search")
	q := searchQueryOf(c)
	pg.Q, pg.Title = q.Q, pg.L.T("search.title")
	v := searchView{Available: s.searcher != nil, Query: q}
	if principal(c).Anonymous() && q.Q == "" {
		return loginRedirect(c)
	}
	if v.Available && (q.Q != "" || q.Tag != "" || q.Type != "" || q.Folder != "") {
		res, err := s.searcher.Search(c.UserContext(), principal(c), q)
		if err != nil {
			return fmt.Errorf("search %q: %w", q.Q, err)
		}
		v.Result = res
		for _, h := range res.Hits {
			hv := hitView{SearchHit: h}
			for _, sn := range h.Snippets {
				hv.Safe = append(hv.Safe, template.HTML(markOnly.Sanitize(sn)))
			}
			v.Hits = append(v.Hits, hv)
		}
		cur := map[string]string{"tag": q.Tag, "type": q.Type, "folder": q.Folder, "year": q.From}
		byKey := map[string][]Facet{"tag": res.Facets.Tags, "type": res.Facets.Types, "folder": res.Facets.Folders, "year": res.Facets.Years}
		for _, key := range facetKeys {
			g := struct {
				key    string
				facets []Facet
			}{key, byKey[key]}
			fg := facetGroup{Key: g.key, Label: pg.L.T("facet." + g.key)}
			for _, f := range g.facets {
				on := cur[g.key] == f.Term || (g.key == "year" && q.From == f.Term+"-01-01")
				var vals url.Values
				switch {
				case g.key == "year" && on:
					vals = q.values("from", "")
					vals.Del("to")
				case g.key == "year":
					vals = q.values("from", f.Term+"-01-01")
					vals.Set("to", f.Term+"-12-31")
				case on:
					vals = q.values(g.key, "")
				default:
					vals = q.values(g.key, f.Term)
				}
				label := f.Term
				if g.key == "type" { // type families are stable keys: translate them
					if pg.L.Has("family.f_" + f.Term) {
						label = pg.L.T("family.f_" + f.Term)
					}
				}
				fg.Links = append(fg.Links, facetLink{Term: f.Term, Label: label, Count: f.Count, On: on, URL: "/search?" + vals.Encode()})
			}
			if len(fg.Links) > 0 {
				v.Facets = append(v.Facets, fg)
			}
		}
		if q.Page > 1 {
			v.Prev = "/search?" + withPage(q, q.Page-1)
		}
		if q.Page*HitsPerPage < res.Total {
			v.Next = "/search?" + withPage(q, q.Page+1)
		}
		if res.Suggestion != "" {
			sq := q
			sq.Q, sq.Page = res.Suggestion, 1
			v.Suggest = "/search?" + sq.values("", "").Encode()
		}
		v.Filtered = q.Tag != "" || q.Type != "" || q.Folder != "" || q.From != "" || q.To != ""
		v.Clear = "/search?" + url.Values{"q": {q.Q}}.Encode()
	}
	pg.Data = v
	return s.render(c, fiber.StatusOK, "search", pg)
}

func withPage(q SearchQuery, n int) string {
	v := q.values("", "")
	v.Set("page", strconv.Itoa(n))
	return v.Encode()
}

// searchAPI is GET /api/v1/search: the same query as the page, as JSON.
func (s *Server) searchAPI(c *fiber.Ctx) error {
	if s.searcher == nil {
		return c.Status(fiber.StatusServiceUnavailable).JSON(apiErrorBody("search_unavailable", "full-text search is not installed on this server yet"))
	}
	res, err := s.searcher.Search(c.UserContext(), principal(c), searchQueryOf(c))
	if err != nil {
		return err
	}
	if res.Hits == nil {
		res.Hits = []SearchHit{}
	}
	return c.JSON(res)
}

// suggestAPI is GET /api/v1/suggest?q=: completions for the search box.
func (s *Server) suggestAPI(c *fiber.Ctx) error {
	sg, ok := s.searcher.(Suggester)
	if !ok {
		return c.Status(fiber.StatusServiceUnavailable).JSON(apiErrorBody("search_unavailable", "full-text search is not installed on this server yet"))
	}
	out, err := sg.Suggest(c.UserContext(), principal(c), c.Query("q"))
	if err != nil {
		return err
	}
	if out == nil {
		out = []Suggestion{}
	}
	return c.JSON(fiber.Map{"suggestions": out})
}
