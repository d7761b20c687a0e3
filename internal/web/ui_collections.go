package web

import (
	"bytes"
	"fmt"
	"html/template"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/repo"
)

// Collection pages: the list, one collection (progress, checkboxes,
// "continue"), and for its editors the edit form, items to add, remove and
// reorder (drag and drop with JavaScript, up/down buttons without), the
// warnings and everyone's progress.

type collectionsData struct {
	Collections []repo.Collection
	CanCreate   bool
	C           *repo.Collection // none: the creation form is empty
	Groups      string
}

type collectionData struct {
	C           repo.Collection
	Description template.HTML
	Percent     int
	Next        *repo.Item
	People      []repo.PersonProgress
	Groups      string
}

func percent(read, total int) int {
	if total == 0 {
		return 0
	}
	return read * 100 / total
}

func (s *Server) collectionsPage(c *fiber.Ctx) error {
	who := principal(c)
	if who.Anonymous() {
		return loginRedirect(c)
	}
	cs, err := s.repo.Collections(c.UserContext(), who)
	if err != nil {
		return err
	}
	pg := s.newPage(c, "collections")
	pg.Title = pg.L.T("coll.title")
	pg.Data = collectionsData{Collections: cs, CanCreate: who.IsAdmin() || who.Role == "member"}
	return s.render(c, fiber.StatusOK, "collections", pg)
}

func (s *Server) collectionPage(c *fiber.Ctx) error {
	who := principal(c)
	if who.Anonymous() {
		return loginRedirect(c)
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	col, err := s.repo.Collection(c.UserContext(), who, id)
	if err != nil {
		return err
	}
	d := collectionData{C: col, Percent: percent(col.Read, len(col.Items)), Next: col.Next(), Groups: strings.Join(col.Groups, ", ")}
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(col.Description), &buf); err == nil {
		d.Description = template.HTML(sanitizer.SanitizeBytes(buf.Bytes()))
	}
	if col.CanEdit {
		if d.People, err = s.repo.CollectionProgress(c.UserContext(), who, id); err != nil {
			return err
		}
	}
	pg := s.newPage(c, "collections")
	pg.Title = col.Title
	pg.Feed = fmt.Sprintf("/api/v1/feeds/collection/%d", id)
	pg.Data = d
	return s.render(c, fiber.StatusOK, "collection", pg)
}

func collectionForm(c *fiber.Ctx) (repo.CollectionInput, error) {
	groups, err := splitList(c.FormValue("groups"), maxListItems)
	return repo.CollectionInput{Title: c.FormValue("title"), Description: c.FormValue("description"),
		Welcome: c.FormValue("welcome") != "", Members: c.FormValue("members") != "", Groups: groups}, err
}

func (s *Server) doCreateCollection(c *fiber.Ctx) error {
	in, err := collectionForm(c)
	if err != nil {
		return done(c, err, "")
	}
	col, err := s.repo.CreateCollection(c.UserContext(), principal(c), in)
	if err != nil {
		return done(c, err, "")
	}
	return c.Redirect(fmt.Sprintf("/collections/%d?ok=collection_saved", col.ID), fiber.StatusSeeOther)
}

func (s *Server) doUpdateCollection(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	in, err := collectionForm(c)
	if err != nil {
		return done(c, err, "")
	}
	_, err = s.repo.UpdateCollection(c.UserContext(), principal(c), id, in)
	return done(c, err, "collection_saved")
}

func (s *Server) doDeleteCollection(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.repo.DeleteCollection(c.UserContext(), principal(c), id); err != nil {
		return done(c, err, "")
	}
	return c.Redirect("/collections?ok=collection_deleted", fiber.StatusSeeOther)
}

// editItems applies a change to the current list of items and saves it.
func (s *Server) editItems(c *fiber.Ctx, change func([]repo.ItemInput, int) ([]repo.ItemInput, error)) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	col, err := s.repo.Collection(c.UserContext(), principal(c), id)
	if err != nil {
		return done(c, err, "")
	}
	items := make([]repo.ItemInput, len(col.Items))
	at := -1
	item, _ := strconv.ParseInt(c.FormValue("item"), 10, 64)
	for i, it := range col.Items {
		items[i] = repo.ItemInput{NodeID: it.NodeID, Note: it.Note}
		if it.ID == item {
			at = i
		}
	}
	if items, err = change(items, at); err != nil {
		return done(c, err, "")
	}
	_, err = s.repo.SetCollectionItems(c.UserContext(), principal(c), id, items)
	return done(c, err, "collection_saved")
}

func (s *Server) doAddItem(c *fiber.Ctx) error {
	return s.editItems(c, func(items []repo.ItemInput, _ int) ([]repo.ItemInput, error) {
		return append(items, repo.ItemInput{Path: c.FormValue("path"), Note: c.FormValue("note")}), nil
	})
}

func (s *Server) doEditItem(c *fiber.Ctx) error {
	return s.editItems(c, func(items []repo.ItemInput, at int) ([]repo.ItemInput, error) {
		if at < 0 {
			return nil, fmt.Errorf("item: %w", repo.ErrNotFound)
		}
		switch c.FormValue("op") {
		case "remove":
			return append(items[:at], items[at+1:]...), nil
		case "up":
			if at > 0 {
				items[at-1], items[at] = items[at], items[at-1]
			}
		case "down":
			if at < len(items)-1 {
				items[at+1], items[at] = items[at], items[at+1]
			}
		case "note":
			items[at].Note = c.FormValue("note")
		}
		return items, nil
	})
}

func (s *Server) doMarkRead(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	item, _ := strconv.ParseInt(c.FormValue("item"), 10, 64)
	err = s.repo.MarkRead(c.UserContext(), principal(c), id, item, c.FormValue("read") != "")
	return done(c, err, "progress_saved")
}
