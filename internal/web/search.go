package web

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/indexer/search"
	"notreasso/internal/acl"
)

// Searcher is the full-text search backend (indexer.Indexer); it applies
// the caller's permissions inside the query.
type Searcher interface {
	Search(ctx context.Context, p acl.Principal, q search.Query) (*search.Result, error)
}

type hitJSON struct {
	ID       string    `json:"id"`
	Path     string    `json:"path"`
	Name     string    `json:"name"`
	Mime     string    `json:"mime"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
	Author   string    `json:"author,omitempty"`
	Tags     []string  `json:"tags"`
	Score    float64   `json:"score"`
	Snippets []string  `json:"snippets"`
}

type facetJSON struct {
	Term  string `json:"term"`
	Count int    `json:"count"`
}

// searchQuery reads the search parameters shared by the API and the page.
func (s *Server) searchQuery(c *fiber.Ctx) (search.Query, error) {
	q := search.Query{Text: c.Query("q"), Author: c.Query("author"), Sort: c.Query("sort")}
	args := c.Context().QueryArgs()
	for _, t := range args.PeekMulti("tag") {
		q.Tags = append(q.Tags, string(t))
	}
	for _, t := range args.PeekMulti("type") {
		q.Types = append(q.Types, string(t))
	}
	if f := c.Query("folder"); f != "" {
		n, err := s.repo.Stat(c.UserContext(), principal(c), f)
		if err != nil {
			return q, err
		}
		q.Folder = strconv.FormatInt(n.ID, 10)
	}
	var err error
	if q.From, err = parseDay(c.Query("from")); err != nil {
		return q, err
	}
	if q.To, err = parseDay(c.Query("to")); err != nil {
		return q, err
	}
	if !q.To.IsZero() {
		q.To = q.To.AddDate(0, 0, 1) // "to" is inclusive of that day
	}
	q.Limit = c.QueryInt("limit", search.DefaultLimit)
	if q.Limit < 1 || q.Limit > search.MaxLimit {
		return q, fmt.Errorf("%w: limit must be between 1 and %d", errBadRequest, search.MaxLimit)
	}
	page := c.QueryInt("page", 1)
	if page < 1 {
		return q, fmt.Errorf("%w: page must be 1 or more", errBadRequest)
	}
	q.Offset = (page - 1) * q.Limit
	return q, nil
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

// apiSearch answers GET /api/v1/search.
func (s *Server) apiSearch(c *fiber.Ctx) error {
	if s.search == nil {
		return fiber.NewError(fiber.StatusServiceUnavailable, "search is not available")
	}
	q, err := s.searchQuery(c)
	if err != nil {
		return err
	}
	res, err := s.search.Search(c.UserContext(), principal(c), q)
	if errors.Is(err, search.ErrInvalidQuery) {
		return fmt.Errorf("%w: %v", errBadRequest, err)
	}
	if err != nil {
		return err
	}
	hits := make([]hitJSON, len(res.Hits))
	for i, h := range res.Hits {
		tags, snips := h.Tags, h.Snippets
		if tags == nil {
			tags = []string{}
		}
		if snips == nil {
			snips = []string{}
		}
		hits[i] = hitJSON{h.ID, h.Path, h.Name, h.Mime, h.Size, h.Modified, h.Author, tags, h.Score, snips}
	}
	facet := func(fs []search.FacetCount) []facetJSON {
		out := make([]facetJSON, len(fs))
		for i, f := range fs {
			out[i] = facetJSON{f.Term, f.Count}
		}
		return out
	}
	return c.JSON(fiber.Map{
		"total": res.Total,
		"hits":  hits,
		"facets": fiber.Map{"tags": facet(res.Facets.Tags), "types": facet(res.Facets.Types),
			"folders": facet(res.Facets.Folders), "years": facet(res.Facets.Years)},
		"took_ms": res.Took.Milliseconds(),
	})
}
