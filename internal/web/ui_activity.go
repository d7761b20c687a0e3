package web

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/repo"
)

// activityLimit is how many entries the activity page reads.
const activityLimit = 200

// activityPage shows recent changes, grouped: overall (every journal entry
// the caller may see), or for one folder (?folder=) its documents' changes.
func (s *Server) activityPage(c *fiber.Ctx) error {
	if principal(c).Anonymous() {
		return loginRedirect(c)
	}
	folder := c.Query("folder")
	if folder == "/" {
		folder = ""
	}
	events, err := s.repo.Activity.Activity(c.UserContext(), principal(c), repo.FeedScope{Folder: folder}, activityLimit)
	if err != nil {
		return err
	}
	pg := s.newPage(c, "activity")
	pg.Title = pg.L.T("activity.title")
	pg.Feed = "/api/v1/feeds/all.atom"
	if folder != "" {
		pg.Feed = "/api/v1/feeds/folder/" + escapePath(folder)
	}
	pg.Data = struct {
		Groups []repo.EventGroup
		Folder string
	}{repo.GroupEvents(events), folder}
	return s.render(c, fiber.StatusOK, "activity", pg)
}

type eventGroupJSON struct {
	At      time.Time `json:"at"`
	Since   time.Time `json:"since"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Count   int       `json:"count"`
	Folder  string    `json:"folder"`
	Path    string    `json:"path"`
	From    string    `json:"from,omitempty"`
	Version int       `json:"version,omitempty"`
	// FromHidden: moved or copied from a folder the reader may not read.
	FromHidden bool     `json:"from_hidden,omitempty"`
	Paths      []string `json:"paths"`
}

// activityAPI: GET /api/v1/activity[?folder=|?tag=|?collection=][&limit=]:
// what the caller may see now, newest first, grouped: the same entries as
// the activity page (repo.Activity).
func (s *Server) activityAPI(c *fiber.Ctx) error {
	sc := repo.FeedScope{Folder: c.Query("folder"), Tag: c.Query("tag")}
	if v := c.Query("collection"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return errBadRequest
		}
		sc.Collection = id
	}
	limit := c.QueryInt("limit", 100)
	if limit < 1 || limit > 1000 {
		limit = 100
	}
	events, err := s.repo.Activity.Activity(c.UserContext(), principal(c), sc, limit)
	if err != nil {
		return err
	}
	groups := repo.GroupEvents(events)
	out := make([]eventGroupJSON, len(groups))
	for i, g := range groups {
		out[i] = eventGroupJSON{g.At, g.Since, g.Actor, g.Action, g.Count, g.Folder, g.Path, g.From, g.Version, g.FromHidden, g.Paths}
	}
	return c.JSON(fiber.Map{"groups": out})
}
