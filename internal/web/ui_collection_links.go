package web

import (
	"context"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/repo"
)

// Collections seen from elsewhere: the newcomer's welcome box (put away
// with a button), the way through a collection from one file to the next
// (?c=<collection> on the file page), and « Ajouter à une collection » on a
// file's page.

// collectionTrail is where a file opened from a collection stands in it.
type collectionTrail struct {
	C        repo.Collection
	Position int        // 1-based
	Next     *repo.Item // nil at the end
}

// trail finds the file in the collection ?c= names; none if the collection
// cannot be read or does not hold the file (a stale or hand-made link).
func (s *Server) trail(ctx context.Context, c *fiber.Ctx, nodeID int64) *collectionTrail {
	id, err := strconv.ParseInt(c.Query("c"), 10, 64)
	if err != nil || id <= 0 {
		return nil
	}
	col, err := s.repo.Collections.Collection(ctx, principal(c), id)
	if err != nil {
		return nil
	}
	for i, it := range col.Items {
		if it.NodeID == nodeID {
			t := &collectionTrail{C: col, Position: i + 1}
			if i+1 < len(col.Items) {
				t.Next = &col.Items[i+1]
			}
			return t
		}
	}
	return nil
}

// editableCollections are those p may add a file to.
func (s *Server) editableCollections(ctx context.Context, c *fiber.Ctx) ([]repo.Collection, error) {
	all, err := s.repo.Collections.Collections(ctx, principal(c))
	if err != nil {
		return nil, err
	}
	var out []repo.Collection
	for _, col := range all {
		if col.CanEdit {
			out = append(out, col)
		}
	}
	return out, nil
}

// doAddToCollection: POST /do/collection-add (collection, path, note),
// from a file's page.
func (s *Server) doAddToCollection(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.FormValue("collection"), 10, 64)
	if err != nil {
		return back(c, "err", "pick_collection")
	}
	col, err := s.repo.Collections.Collection(c.UserContext(), principal(c), id)
	if err != nil {
		return done(c, err, "")
	}
	items := make([]repo.ItemInput, 0, len(col.Items)+1)
	for _, it := range col.Items {
		items = append(items, repo.ItemInput{NodeID: it.NodeID, Note: it.Note})
	}
	items = append(items, repo.ItemInput{Path: c.FormValue("path"), Note: c.FormValue("note")})
	_, err = s.repo.Collections.SetCollectionItems(c.UserContext(), principal(c), id, items)
	return done(c, err, "added_to_collection")
}

// doDismissWelcome: POST /do/collections/:id/dismiss puts the welcome box
// away.
func (s *Server) doDismissWelcome(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	return done(c, s.repo.Collections.DismissWelcome(c.UserContext(), principal(c), id), "welcome_dismissed")
}
