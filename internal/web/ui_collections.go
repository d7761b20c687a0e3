package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"slices"
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
	Choices     []groupChoice    // the audience's groups to pick from
	RoleChoices []groupChoice    // and its roles
	Open        bool             // the creation form is shown again, with an error
}

// groupChoice is one existing group (or role) in an audience picker.
type groupChoice struct {
	Name  string
	Label string // a role's name in the reader's words
	On    bool
}

type collectionData struct {
	C           repo.Collection
	Description template.HTML
	Percent     int
	Next        *repo.Item
	People      []repo.PersonProgress
	Choices     []groupChoice
	RoleChoices []groupChoice
}

// groupChoices lists the existing groups, those of the audience ticked;
// the audience's groups are always listed, even if they were deleted since.
func (s *Server) groupChoices(ctx context.Context, on []string) ([]groupChoice, error) {
	gs, err := s.auth.Groups(ctx)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	out := make([]groupChoice, len(gs))
	for i, g := range gs {
		out[i] = groupChoice{Name: g.Name, On: slices.Contains(on, g.Name)}
	}
	return out, nil
}

// roleChoices lists the roles for an audience picker, those of the
// audience ticked.
func (s *Server) roleChoices(ctx context.Context, l *Locale, on []string) ([]groupChoice, error) {
	os, err := s.auth.Offices(ctx)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	out := make([]groupChoice, len(os))
	for i, o := range os {
		out[i] = groupChoice{Name: o.Name, Label: officeLabel(l, o.Name), On: slices.Contains(on, o.Name)}
	}
	return out, nil
}

// unknownGroups are the audience's groups that do not exist (a group
// deleted while the form was open, or a hand-made request).
func unknownGroups(choices []groupChoice, picked []string) []string {
	var out []string
	for _, g := range picked {
		if !slices.ContainsFunc(choices, func(c groupChoice) bool { return c.Name == g }) {
			out = append(out, g)
		}
	}
	return out
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
	cs, err := s.repo.Collections.Collections(c.UserContext(), who)
	if err != nil {
		return err
	}
	choices, err := s.groupChoices(c.UserContext(), nil)
	if err != nil {
		return err
	}
	pg := s.newPage(c, "collections")
	pg.Title = pg.L.T("coll.title")
	roles, err := s.roleChoices(c.UserContext(), pg.L, nil)
	if err != nil {
		return err
	}
	pg.Data = collectionsData{Collections: cs, CanCreate: who.IsAdmin() || who.Role == "member", Choices: choices, RoleChoices: roles}
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
	col, err := s.repo.Collections.Collection(c.UserContext(), who, id)
	if err != nil {
		return err
	}
	d := collectionData{C: col, Percent: percent(col.Read, len(col.Items)), Next: col.Next()}
	if col.CanEdit {
		if d.Choices, err = s.groupChoices(c.UserContext(), col.Groups); err != nil {
			return err
		}

	}
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(col.Description), &buf); err == nil {
		d.Description = template.HTML(sanitizer.SanitizeBytes(buf.Bytes()))
	}
	if col.CanEdit {
		if d.People, err = s.repo.Collections.CollectionProgress(c.UserContext(), who, id); err != nil {
			return err
		}
	}
	pg := s.newPage(c, "collections")
	if col.CanEdit {
		if d.RoleChoices, err = s.roleChoices(c.UserContext(), pg.L, col.Roles); err != nil {
			return err
		}
	}
	pg.Title = col.Title
	pg.Feed = fmt.Sprintf("/api/v1/feeds/collection/%d", id)
	pg.Data = d
	return s.render(c, fiber.StatusOK, "collection", pg)
}

// collectionForm reads the edit form: the audience's groups are ticked
// boxes (one "groups" value each, capped like every form list).
func collectionForm(c *fiber.Ctx) (repo.CollectionInput, error) {
	groups, err := formValues(c, "groups")
	if err != nil {
		return repo.CollectionInput{}, err
	}
	roles, err := formValues(c, "roles")
	return repo.CollectionInput{Title: c.FormValue("title"), Description: c.FormValue("description"),
		Welcome: c.FormValue("welcome") != "", Members: c.FormValue("members") != "", Groups: groups, Roles: roles}, err
}

func (s *Server) doCreateCollection(c *fiber.Ctx) error {
	in, err := collectionForm(c)
	if err != nil {
		return done(c, err, "")
	}
	col, err := s.repo.Collections.CreateCollection(c.UserContext(), principal(c), in)
	if err == nil {
		return c.Redirect(fmt.Sprintf("/collections/%d?ok=collection_saved", col.ID), fiber.StatusSeeOther)
	}
	if status, _ := errorCode(err); status >= 500 {
		return err
	}
	// The form comes back as it was sent, with what to change: nothing typed
	// is lost.
	who := principal(c)
	cs, lerr := s.repo.Collections.Collections(c.UserContext(), who)
	if lerr != nil {
		return lerr
	}
	choices, lerr := s.groupChoices(c.UserContext(), in.Groups)
	if lerr != nil {
		return lerr
	}
	pg := s.newPage(c, "collections")
	pg.Title = pg.L.T("coll.title")
	pg.Error = s.collectionError(pg.L, err, choices, in.Groups)
	draft := &repo.Collection{Title: in.Title, Description: in.Description, Welcome: in.Welcome, Members: in.Members}
	roles, lerr := s.roleChoices(c.UserContext(), pg.L, in.Roles)
	if lerr != nil {
		return lerr
	}
	pg.Data = collectionsData{Collections: cs, CanCreate: true, C: draft, Choices: choices, RoleChoices: roles, Open: true}
	return s.render(c, fiber.StatusUnprocessableEntity, "collections", pg)
}

// collectionError says what is wrong with a collection form.
func (s *Server) collectionError(l *Locale, err error, choices []groupChoice, picked []string) string {
	if bad := unknownGroups(choices, picked); len(bad) > 0 {
		return l.T("coll.unknown_group", "Groups", strings.Join(bad, ", "))
	}
	if errors.Is(err, repo.ErrInvalid) {
		return l.T("coll.invalid")
	}
	_, code := errorCode(err)
	return l.T("err." + code)
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
	_, err = s.repo.Collections.UpdateCollection(c.UserContext(), principal(c), id, in)
	if err != nil {
		if choices, lerr := s.groupChoices(c.UserContext(), nil); lerr == nil && len(unknownGroups(choices, in.Groups)) > 0 {
			return back(c, "err", "unknown_group")
		}
	}
	return done(c, err, "collection_saved")
}

func (s *Server) doDeleteCollection(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.repo.Collections.DeleteCollection(c.UserContext(), principal(c), id); err != nil {
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
	col, err := s.repo.Collections.Collection(c.UserContext(), principal(c), id)
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
	_, err = s.repo.Collections.SetCollectionItems(c.UserContext(), principal(c), id, items)
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
	err = s.repo.Collections.MarkRead(c.UserContext(), principal(c), id, item, c.FormValue("read") != "")
	return done(c, err, "progress_saved")
}
