package web

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/repo"
)

// Collections, reading progress and the welcome collection.

func (s *Server) collectionRoutes(api fiber.Router) {
	api.Get("/collections", s.listCollections)
	api.Post("/collections", s.createCollection)
	api.Get("/collections/:id", s.getCollection)
	api.Patch("/collections/:id", s.updateCollection)
	api.Delete("/collections/:id", s.deleteCollection)
	api.Put("/collections/:id/items", s.setCollectionItems)
	api.Put("/collections/:id/items/:item/read", s.markItemRead)
	api.Get("/collections/:id/progress", s.collectionProgress)
	api.Get("/welcome", s.welcome)
}

type itemJSON struct {
	ID       int64    `json:"id"`
	Position int      `json:"position"`
	Note     string   `json:"note"`
	Read     bool     `json:"read"`
	Node     nodeJSON `json:"node"`
}

type warningJSON struct {
	ItemID     int64    `json:"item_id"`
	Path       string   `json:"path"`
	Unreadable []string `json:"unreadable"`
}

type collectionJSON struct {
	ID          int64         `json:"id"`
	Title       string        `json:"title"`
	Description string        `json:"description"`
	Welcome     bool          `json:"welcome"`
	Audience    audienceJSON  `json:"audience"`
	Created     time.Time     `json:"created"`
	CreatedBy   string        `json:"created_by"`
	Updated     time.Time     `json:"updated"`
	CanEdit     bool          `json:"can_edit"`
	Items       []itemJSON    `json:"items"`
	Read        int           `json:"read"`
	Total       int           `json:"total"`
	Finished    bool          `json:"finished"`
	Next        *int64        `json:"next_item,omitempty"` // continue where you left off
	Warnings    []warningJSON `json:"warnings,omitempty"`
}

type audienceJSON struct {
	Members bool     `json:"members"`
	Groups  []string `json:"groups"`
	Roles   []string `json:"roles"` // whoever holds these roles now
}

func toCollectionJSON(c repo.Collection) collectionJSON {
	out := collectionJSON{ID: c.ID, Title: c.Title, Description: c.Description, Welcome: c.Welcome,
		Audience: audienceJSON{c.Members, c.Groups, c.Roles}, Created: c.CreatedAt, CreatedBy: c.CreatedBy, Updated: c.UpdatedAt,
		CanEdit: c.CanEdit, Items: []itemJSON{}, Read: c.Read, Total: len(c.Items), Finished: c.Finished()}
	if out.Audience.Groups == nil {
		out.Audience.Groups = []string{}
	}
	if out.Audience.Roles == nil {
		out.Audience.Roles = []string{}
	}
	for _, it := range c.Items {
		out.Items = append(out.Items, itemJSON{it.ID, it.Position, it.Note, it.Read, toJSON(it.Node)})
	}
	if n := c.Next(); n != nil {
		out.Next = &n.ID
	}
	for _, w := range c.Warnings {
		out.Warnings = append(out.Warnings, warningJSON{w.ItemID, w.Path, w.Unreadable})
	}
	return out
}

func idParam(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: bad %s", errBadRequest, name)
	}
	return id, nil
}

func (s *Server) listCollections(c *fiber.Ctx) error {
	if err := requireUser(c); err != nil {
		return err
	}
	cs, err := s.repo.Collections.Collections(c.UserContext(), principal(c))
	if err != nil {
		return err
	}
	out := make([]collectionJSON, len(cs))
	for i, col := range cs {
		out[i] = toCollectionJSON(col)
	}
	return c.JSON(fiber.Map{"collections": out})
}

type collectionRequest struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
	Welcome     *bool   `json:"welcome"`
	Audience    *struct {
		Members bool     `json:"members"`
		Groups  []string `json:"groups"`
		Roles   []string `json:"roles"`
	} `json:"audience"`
}

func (r collectionRequest) apply(in *repo.CollectionInput) {
	if r.Title != nil {
		in.Title = *r.Title
	}
	if r.Description != nil {
		in.Description = *r.Description
	}
	if r.Welcome != nil {
		in.Welcome = *r.Welcome
	}
	if r.Audience != nil {
		in.Members, in.Groups, in.Roles = r.Audience.Members, r.Audience.Groups, r.Audience.Roles
	}
}

func (s *Server) createCollection(c *fiber.Ctx) error {
	if err := requireUser(c); err != nil {
		return err
	}
	var req collectionRequest
	if err := readJSON(c, &req); err != nil {
		return err
	}
	in := repo.CollectionInput{Members: true}
	req.apply(&in)
	col, err := s.repo.Collections.CreateCollection(c.UserContext(), principal(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toCollectionJSON(col))
}

func (s *Server) getCollection(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	col, err := s.repo.Collections.Collection(c.UserContext(), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(toCollectionJSON(col))
}

func (s *Server) updateCollection(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	col, err := s.repo.Collections.Collection(c.UserContext(), principal(c), id)
	if err != nil {
		return err
	}
	var req collectionRequest
	if err := readJSON(c, &req); err != nil {
		return err
	}
	in := repo.CollectionInput{Title: col.Title, Description: col.Description, Welcome: col.Welcome, Members: col.Members, Groups: col.Groups, Roles: col.Roles}
	req.apply(&in)
	if col, err = s.repo.Collections.UpdateCollection(c.UserContext(), principal(c), id, in); err != nil {
		return err
	}
	return c.JSON(toCollectionJSON(col))
}

func (s *Server) deleteCollection(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.repo.Collections.DeleteCollection(c.UserContext(), principal(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) setCollectionItems(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var req struct {
		Items []struct {
			Path   string `json:"path"`
			NodeID int64  `json:"node_id"`
			Note   string `json:"note"`
		} `json:"items"`
	}
	if err := readJSON(c, &req); err != nil {
		return err
	}
	items := make([]repo.ItemInput, len(req.Items))
	for i, it := range req.Items {
		items[i] = repo.ItemInput{Path: it.Path, NodeID: it.NodeID, Note: it.Note}
	}
	col, err := s.repo.Collections.SetCollectionItems(c.UserContext(), principal(c), id, items)
	if err != nil {
		return err
	}
	return c.JSON(toCollectionJSON(col))
}

func (s *Server) markItemRead(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	item, err := idParam(c, "item")
	if err != nil {
		return err
	}
	var req struct {
		Read *bool `json:"read"`
	}
	if err := readJSON(c, &req); err != nil {
		return err
	}
	read := req.Read == nil || *req.Read
	if err := s.repo.Collections.MarkRead(c.UserContext(), principal(c), id, item, read); err != nil {
		return err
	}
	col, err := s.repo.Collections.Collection(c.UserContext(), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(toCollectionJSON(col))
}

func (s *Server) collectionProgress(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	people, err := s.repo.Collections.CollectionProgress(c.UserContext(), principal(c), id)
	if err != nil {
		return err
	}
	type personJSON struct {
		Login    string `json:"login"`
		Read     int    `json:"read"`
		Total    int    `json:"total"`
		Finished bool   `json:"finished"`
	}
	out := make([]personJSON, len(people))
	for i, pp := range people {
		out[i] = personJSON{pp.Login, pp.Read, pp.Total, pp.Finished}
	}
	return c.JSON(fiber.Map{"people": out})
}

func (s *Server) welcome(c *fiber.Ctx) error {
	if err := requireUser(c); err != nil {
		return err
	}
	w, err := s.repo.Collections.Welcome(c.UserContext(), principal(c))
	if err != nil {
		return err
	}
	if w == nil {
		return c.JSON(fiber.Map{"collection": nil})
	}
	return c.JSON(fiber.Map{"collection": toCollectionJSON(*w)})
}
