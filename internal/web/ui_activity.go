package web

import (
	"github.com/gofiber/fiber/v2"

	"notreasso/internal/repo"
)

// activityLimit is how many entries the activity page shows.
const activityLimit = 100

func (s *Server) activityPage(c *fiber.Ctx) error {
	if principal(c).Anonymous() {
		return loginRedirect(c)
	}
	events, err := s.repo.Activity(c.UserContext(), principal(c), activityLimit)
	if err != nil {
		return err
	}
	pg := s.newPage(c, "activity")
	pg.Title = pg.L.T("activity.title")
	pg.Data = struct{ Events []repo.Event }{events}
	return s.render(c, fiber.StatusOK, "activity", pg)
}
