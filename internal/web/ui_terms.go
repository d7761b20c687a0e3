package web

import (
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
	"notreasso/internal/repo"
)

// The register (« historique des mandats »), the handover page
// (« passation ») and each person's terms on « Mon compte ».

func (s *Server) registerPage(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	ctx, p := c.UserContext(), principal(c)
	ts, err := s.auth.Terms(ctx, auth.TermFilter{})
	if err != nil {
		return err
	}
	pg := s.newPage(c, "admin")
	pg.Title = pg.L.T("roles.register")
	pg.Data = struct{ Terms []termRow }{s.termRows(ctx, p, pg.L, ts)}
	return s.render(c, fiber.StatusOK, "register", pg)
}

// myTerms is the account page's « Mes rôles »: the person's terms, and
// the one ending soon if any.
func (s *Server) myTerms(c *fiber.Ctx, l *Locale) ([]termRow, error) {
	p := principal(c)
	ts, err := s.auth.Terms(c.UserContext(), auth.TermFilter{UserID: p.UserID})
	if err != nil {
		return nil, err
	}
	rows := s.termRows(c.UserContext(), p, l, ts)
	for i, r := range rows {
		if r.State != string(auth.TermCurrent) {
			continue
		}
		others, err := s.auth.Terms(c.UserContext(), auth.TermFilter{OfficeID: r.OfficeID})
		if err != nil {
			return nil, err
		}
		for _, o := range others { // most recent start first
			if o.UserID != p.UserID && o.UserID != 0 && !o.Start.After(r.Start) {
				rows[i].Predecessor, rows[i].PredecessorName = o.ID, o.Holder()
				break
			}
		}
	}
	return rows, nil
}

// handoverData is what handover.html shows: the predecessor's term, what
// they made, and to whom it can be handed.
type handoverData struct {
	Term       termRow
	H          repo.Handover
	Successors []auth.Term // current holders of the role (admins choose)
	Admin      bool
	Back       string
}

// handoverTerm loads the term a handover is about and checks that the
// caller may see it: administrators, or a successor in that role.
func (s *Server) handoverTerm(c *fiber.Ctx, id int64) (auth.Term, error) {
	p := principal(c)
	t, err := s.auth.TermByID(c.UserContext(), id)
	if err != nil {
		return t, err
	}
	if p.IsAdmin() {
		return t, nil
	}
	for _, o := range p.Offices {
		if o == t.OfficeID && p.UserID != t.UserID {
			return t, nil
		}
	}
	return auth.Term{}, fmt.Errorf("term %d: %w", id, auth.ErrNoTerm)
}

func (s *Server) handoverPage(c *fiber.Ctx) error {
	p := principal(c)
	if p.Anonymous() {
		return loginRedirect(c)
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return fmt.Errorf("term %q: %w", c.Params("id"), auth.ErrNoTerm)
	}
	ctx := c.UserContext()
	t, err := s.handoverTerm(c, id)
	if err != nil {
		return err
	}
	pg := s.newPage(c, "admin")
	d := handoverData{Admin: p.IsAdmin(), Back: pg.Path}
	d.Term = s.termRows(ctx, p, pg.L, []auth.Term{t})[0]
	if t.UserID != 0 {
		if d.H, err = s.repo.Shares.HandoverOf(ctx, p, t.UserID); err != nil {
			return err
		}
	}
	now := s.auth.Now()
	holders, err := s.auth.Terms(ctx, auth.TermFilter{OfficeID: t.OfficeID})
	if err != nil {
		return err
	}
	seen := map[int64]bool{t.UserID: true}
	for _, h := range holders {
		if h.StateAt(now) == auth.TermCurrent && h.UserID != 0 && !seen[h.UserID] {
			seen[h.UserID] = true
			d.Successors = append(d.Successors, h)
		}
	}
	pg.Title = pg.L.T("roles.handover_title", "Name", t.Holder(), "Role", d.Term.Label)
	pg.Data = d
	return s.render(c, fiber.StatusOK, "handover", pg)
}

// handoverTo is whom a kept item goes to: the caller, or for an
// administrator the successor they chose.
func (s *Server) handoverTo(c *fiber.Ctx) (int64, error) {
	p := principal(c)
	if v := c.FormValue("to"); v != "" && p.IsAdmin() {
		u, err := s.auth.UserByLogin(c.UserContext(), v)
		if err != nil {
			return 0, err
		}
		return u.ID, nil
	}
	return p.UserID, nil
}

// handoverLinkForm keeps (keep=1) or revokes a predecessor's link.
func (s *Server) handoverLinkForm(c *fiber.Ctx) error {
	p := principal(c)
	if p.Anonymous() {
		return loginRedirect(c)
	}
	id, err := strconv.ParseInt(c.FormValue("id"), 10, 64)
	if err != nil {
		return done(c, fmt.Errorf("link: %w", repo.ErrNotFound), "")
	}
	if c.FormValue("keep") == "" {
		return done(c, s.repo.Shares.RevokeShare(c.UserContext(), p, id), "handover_revoked")
	}
	to, err := s.handoverTo(c)
	if err != nil {
		return done(c, err, "")
	}
	return done(c, s.repo.Shares.TransferShare(c.UserContext(), p, id, to), "handover_kept")
}

// handoverCollectionForm keeps (keep=1) a predecessor's collection, or
// deletes it (administrators).
func (s *Server) handoverCollectionForm(c *fiber.Ctx) error {
	p := principal(c)
	if p.Anonymous() {
		return loginRedirect(c)
	}
	id, err := strconv.ParseInt(c.FormValue("id"), 10, 64)
	if err != nil {
		return done(c, fmt.Errorf("collection: %w", repo.ErrNotFound), "")
	}
	if c.FormValue("keep") == "" {
		if !p.IsAdmin() {
			return done(c, fmt.Errorf("deleting someone else's collection: %w", acl.ErrForbidden), "")
		}
		return done(c, s.repo.Collections.DeleteCollection(c.UserContext(), p, id), "handover_revoked")
	}
	to, err := s.handoverTo(c)
	if err != nil {
		return done(c, err, "")
	}
	return done(c, s.repo.Collections.TransferCollection(c.UserContext(), p, id, to), "handover_kept")
}
