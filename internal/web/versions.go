package web

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/repo"
)

type versionJSON struct {
	Number   int       `json:"number"`
	Hash     string    `json:"sha256"`
	Size     int64     `json:"size"`
	Mime     string    `json:"mime"`
	Author   string    `json:"author,omitempty"`
	Created  time.Time `json:"created"`
	Modified time.Time `json:"modified"`
	Label    string    `json:"label"`
	Pinned   bool      `json:"pinned"`
	Current  bool      `json:"current"`
}

func (s *Server) versions(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	n, vs, err := s.repo.History.Versions(c.UserContext(), principal(c), p)
	if err != nil {
		return err
	}
	out := make([]versionJSON, len(vs))
	for i, v := range vs {
		out[i] = versionJSON{v.Number, v.Hash, v.Size, v.Mime, v.Author, v.CreatedAt, v.ModTime, v.Label, v.Pinned, v.Current}
	}
	return c.JSON(fiber.Map{"file": toJSON(n), "versions": out})
}

func (s *Server) restoreVersion(c *fiber.Ctx) error {
	var req struct {
		Path    string `json:"path"`
		Version int    `json:"version"`
	}
	if err := readJSON(c, &req); err != nil {
		return err
	}
	n, err := s.repo.History.RestoreVersion(c.UserContext(), principal(c), req.Path, req.Version)
	if err != nil {
		return err
	}
	return c.JSON(toJSON(n))
}

func (s *Server) labelVersion(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	var req struct {
		Version int    `json:"version"`
		Label   string `json:"label"`
		Pinned  bool   `json:"pinned"`
	}
	if err := readJSON(c, &req); err != nil {
		return err
	}
	if err := s.repo.History.LabelVersion(c.UserContext(), principal(c), p, req.Version, req.Label, req.Pinned); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type trashJSON struct {
	nodeJSON
	OriginalPath string    `json:"original_path"`
	Deleted      time.Time `json:"deleted"`
	DeletedBy    string    `json:"deleted_by,omitempty"`
}

func (s *Server) trash(c *fiber.Ctx) error {
	if err := requireUser(c); err != nil {
		return err
	}
	items, err := s.repo.History.Trash(c.UserContext(), principal(c))
	if err != nil {
		return err
	}
	out := make([]trashJSON, len(items))
	for i, it := range items {
		out[i] = trashJSON{toJSON(it.Node), it.OriginalPath, it.DeletedAt, it.DeletedBy}
	}
	return c.JSON(fiber.Map{"items": out})
}

func (s *Server) restoreTrash(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return repo.ErrNotFound
	}
	var req struct {
		To string `json:"to"`
	}
	// The body is optional. Not c.Body(): it would read a streamed body
	// whole into memory before readJSON's limit applies.
	if c.Request().Header.ContentLength() != 0 {
		if err := readJSON(c, &req); err != nil {
			return err
		}
	}
	n, err := s.repo.History.Restore(c.UserContext(), principal(c), id, req.To)
	if err != nil {
		return err
	}
	return c.JSON(toJSON(n))
}

func (s *Server) tags(c *fiber.Ctx) error {
	ts, err := s.repo.Tags.Tags(c.UserContext(), principal(c), c.Query("prefix"))
	if err != nil {
		return err
	}
	type tagJSON struct {
		Name  string `json:"name"`
		Color string `json:"color,omitempty"`
		Count int    `json:"count"`
	}
	out := make([]tagJSON, len(ts))
	for i, t := range ts {
		out[i] = tagJSON{t.Name, t.Color, t.Count}
	}
	return c.JSON(fiber.Map{"tags": out})
}

func (s *Server) setTags(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	var req struct {
		Tags []string `json:"tags"`
	}
	if err := readJSON(c, &req); err != nil {
		return err
	}
	n, err := s.repo.Tree.SetTags(c.UserContext(), principal(c), p, req.Tags)
	if err != nil {
		return err
	}
	return c.JSON(toJSON(n))
}
