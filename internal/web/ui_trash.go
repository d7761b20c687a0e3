package web

import (
	"github.com/gofiber/fiber/v2"

	"notreasso/internal/repo"
)

func (s *Server) trashPage(c *fiber.Ctx) error {
	if principal(c).Anonymous() {
		return loginRedirect(c)
	}
	items, err := s.repo.Trash(c.UserContext(), principal(c))
	if err != nil {
		return err
	}
	pg := s.newPage(c, "trash")
	pg.Title = pg.L.T("trash.title")
	pg.Data = struct{ Items []repo.TrashItem }{items}
	return s.render(c, fiber.StatusOK, "trash", pg)
}
