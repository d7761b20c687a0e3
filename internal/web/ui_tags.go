package web

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/repo"
)

// A tag: its documents (those the caller may read), and for administrators
// rename, merge (rename into an existing tag) and colour. API and page.

func (s *Server) tagRoutes(api fiber.Router) {
	api.Get("/tag/:tag", s.tagAPI)
	api.Patch("/tag/:tag", s.patchTag)
}

func tagParam(c *fiber.Ctx) (string, error) {
	t, err := url.PathUnescape(c.Params("tag"))
	if err != nil {
		return "", errBadRequest
	}
	return repo.CleanTag(t)
}

func (s *Server) tagAPI(c *fiber.Ctx) error {
	if err := requireUser(c); err != nil {
		return err
	}
	tag, err := tagParam(c)
	if err != nil {
		return err
	}
	docs, color, err := s.repo.Tags.TagDocuments(c.UserContext(), principal(c), tag)
	if err != nil {
		return err
	}
	out := make([]nodeJSON, len(docs))
	for i, n := range docs {
		out[i] = toJSON(n)
	}
	return c.JSON(fiber.Map{"tag": tag, "color": color, "documents": out})
}

// patchTag: {"name": "new"} renames (or merges into an existing tag),
// {"color": "#rrggbb"} colours; administrators only.
func (s *Server) patchTag(c *fiber.Ctx) error {
	tag, err := tagParam(c)
	if err != nil {
		return err
	}
	var req struct {
		Name  *string `json:"name"`
		Color *string `json:"color"`
	}
	if err := readJSON(c, &req); err != nil {
		return err
	}
	if req.Color != nil {
		if err := s.repo.Tags.SetTagColor(c.UserContext(), principal(c), tag, *req.Color); err != nil {
			return err
		}
	}
	if req.Name != nil {
		if err := s.repo.Tags.RenameTag(c.UserContext(), principal(c), tag, *req.Name); err != nil {
			return err
		}
		if tag, err = repo.CleanTag(*req.Name); err != nil {
			return err
		}
	}
	docs, color, err := s.repo.Tags.TagDocuments(c.UserContext(), principal(c), tag)
	if err != nil {
		return err
	}
	out := make([]nodeJSON, len(docs))
	for i, n := range docs {
		out[i] = toJSON(n)
	}
	return c.JSON(fiber.Map{"tag": tag, "color": color, "documents": out})
}

type tagPage struct {
	Tag   string
	Color string
	Docs  []repo.Node
}

func (s *Server) tagPage(c *fiber.Ctx) error {
	if principal(c).Anonymous() {
		return loginRedirect(c)
	}
	tag, err := tagParam(c)
	if err != nil {
		return err
	}
	docs, color, err := s.repo.Tags.TagDocuments(c.UserContext(), principal(c), tag)
	if err != nil {
		return err
	}
	pg := s.newPage(c, "browse")
	pg.Title = "#" + tag
	pg.Feed = "/api/v1/feeds/tag/" + url.PathEscape(tag)
	pg.Data = tagPage{Tag: tag, Color: color, Docs: docs}
	return s.render(c, fiber.StatusOK, "tag", pg)
}

func (s *Server) doTagRename(c *fiber.Ctx) error {
	from, to := c.FormValue("tag"), strings.TrimSpace(c.FormValue("name"))
	if err := s.repo.Tags.RenameTag(c.UserContext(), principal(c), from, to); err != nil {
		return done(c, err, "")
	}
	clean, _ := repo.CleanTag(to)
	return c.Redirect("/tags/"+url.PathEscape(clean)+"?ok=tag_saved", fiber.StatusSeeOther)
}

func (s *Server) doTagColor(c *fiber.Ctx) error {
	return done(c, s.repo.Tags.SetTagColor(c.UserContext(), principal(c), c.FormValue("tag"), c.FormValue("color")), "tag_saved")
}
