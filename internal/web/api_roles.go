package web

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
	"notreasso/internal/repo"
)

// Roles (« Trésorier·e ») and terms of office: the administration API, the
// register as CSV, and each person's own terms. The roles themselves are
// principals in grants ("role:NAME", see api_grants.go).
func (s *Server) roleRoutes(api fiber.Router) {
	adm := api.Group("/admin", requireAdmin)
	adm.Get("/roles", s.apiRoles)
	adm.Post("/roles", s.apiCreateRole)
	adm.Get("/roles/:name", s.apiRole)
	adm.Patch("/roles/:name", s.apiUpdateRole)
	adm.Delete("/roles/:name", s.apiDeleteRole)
	adm.Get("/terms", s.apiTerms)
	adm.Get("/terms.csv", s.termsCSV)
	adm.Post("/terms", s.apiAddTerm)
	adm.Patch("/terms/:id", s.apiSetTermEnd)
	adm.Delete("/terms/:id", s.apiDeleteTerm)
	api.Get("/me/terms", s.apiMyTerms)
}

type roleJSON struct {
	Name        string    `json:"name"`
	Principal   string    `json:"principal"` // role:NAME, as grants name it
	Description string    `json:"description"`
	Key         string    `json:"key,omitempty"` // a seeded role's key: role:KEY names it too
	Created     time.Time `json:"created"`
}

func toRoleJSON(o auth.Office) roleJSON {
	return roleJSON{o.Name, o.Principal(), o.Description, o.SeedKey, o.CreatedAt}
}

type termJSON struct {
	ID       int64     `json:"id"`
	Role     string    `json:"role"`
	RoleKey  string    `json:"role_key,omitempty"`
	Login    string    `json:"login"`
	Holder   string    `json:"holder"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end,omitzero"`
	State    string    `json:"state"` // upcoming, current or ended
	Decision string    `json:"decision,omitempty"`
	// DecisionDocument is the path of the minutes that elected them, only
	// for a reader who may read it.
	DecisionDocument string    `json:"decision_document,omitempty"`
	Created          time.Time `json:"created"`
	CreatedBy        string    `json:"created_by,omitempty"`
}

// decisionPath is the path of a term's minutes if p may read them.
func (s *Server) decisionPath(ctx context.Context, p acl.Principal, t auth.Term) string {
	if t.DecisionNode == 0 {
		return ""
	}
	n, err := s.repo.Tree.StatID(ctx, p, t.DecisionNode)
	if err != nil || n.Role < acl.Viewer {
		return ""
	}
	return n.Path
}

func (s *Server) toTermJSON(ctx context.Context, p acl.Principal, t auth.Term) termJSON {
	return termJSON{ID: t.ID, Role: t.Office, RoleKey: t.OfficeKey, Login: t.Login, Holder: t.Holder(), Start: t.Start,
		End: t.End, State: string(t.StateAt(s.auth.Now())), Decision: t.Decision, DecisionDocument: s.decisionPath(ctx, p, t),
		Created: t.CreatedAt, CreatedBy: t.CreatedBy}
}

func (s *Server) termsJSON(ctx context.Context, p acl.Principal, ts []auth.Term) []termJSON {
	out := make([]termJSON, len(ts))
	for i, t := range ts {
		out[i] = s.toTermJSON(ctx, p, t)
	}
	return out
}

func (s *Server) apiRoles(c *fiber.Ctx) error {
	os, err := s.auth.Offices(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]roleJSON, len(os))
	for i, o := range os {
		out[i] = toRoleJSON(o)
	}
	return c.JSON(fiber.Map{"roles": out})
}

type roleRequest struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

func (s *Server) apiCreateRole(c *fiber.Ctx) error {
	var req roleRequest
	if err := readJSON(c, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return fmt.Errorf("%w: a role needs a name", errBadRequest)
	}
	o, err := s.auth.CreateOffice(c.UserContext(), actor(c), *req.Name, deref(req.Description))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toRoleJSON(o))
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// apiRole is a role, its terms (the register's part for it) and the
// folders granted to it.
func (s *Server) apiRole(c *fiber.Ctx) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	o, err := s.auth.OfficeByName(ctx, name)
	if err != nil {
		return err
	}
	ts, err := s.auth.Terms(ctx, auth.TermFilter{OfficeID: o.ID})
	if err != nil {
		return err
	}
	gs, err := s.repo.Access.GrantsTo(ctx, principal(c), repo.Grantee{Kind: acl.KindRole, Name: o.Name})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"role": toRoleJSON(o), "terms": s.termsJSON(ctx, principal(c), ts), "grants": toGrantsJSON(gs)})
}

func (s *Server) apiUpdateRole(c *fiber.Ctx) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	var req roleRequest
	if err := readJSON(c, &req); err != nil {
		return err
	}
	ctx := c.UserContext()
	o, err := s.auth.OfficeByName(ctx, name)
	if err != nil {
		return err
	}
	newName, desc := o.Name, o.Description
	if req.Name != nil {
		newName = *req.Name
	}
	if req.Description != nil {
		desc = *req.Description
	}
	if o, err = s.auth.UpdateOffice(ctx, actor(c), name, newName, desc); err != nil {
		return err
	}
	return c.JSON(toRoleJSON(o))
}

func (s *Server) apiDeleteRole(c *fiber.Ctx) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	if err := s.auth.DeleteOffice(c.UserContext(), actor(c), name); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// termFilter reads ?role=NAME and ?login=LOGIN.
func (s *Server) termFilter(c *fiber.Ctx) (auth.TermFilter, error) {
	var f auth.TermFilter
	ctx := c.UserContext()
	if r := c.Query("role"); r != "" {
		o, err := s.auth.OfficeByName(ctx, r)
		if err != nil {
			return f, err
		}
		f.OfficeID = o.ID
	}
	if l := c.Query("login"); l != "" {
		u, err := s.auth.UserByLogin(ctx, l)
		if err != nil {
			return f, err
		}
		f.UserID = u.ID
	}
	return f, nil
}

func (s *Server) apiTerms(c *fiber.Ctx) error {
	f, err := s.termFilter(c)
	if err != nil {
		return err
	}
	ts, err := s.auth.Terms(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"terms": s.termsJSON(c.UserContext(), principal(c), ts)})
}

// termsCSV is the register (« historique des mandats ») as a spreadsheet
// opens it: UTF-8 with a byte-order mark, dates as YYYY-MM-DD.
func (s *Server) termsCSV(c *fiber.Ctx) error {
	f, err := s.termFilter(c)
	if err != nil {
		return err
	}
	ctx, p := c.UserContext(), principal(c)
	ts, err := s.auth.Terms(ctx, f)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="mandats.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return auth.WriteRegisterCSV(c.Response().BodyWriter(), ts, s.auth.Now(), time.Local,
		func(t auth.Term) string { return s.decisionPath(ctx, p, t) })
}

type termRequest struct {
	Role     string  `json:"role"`
	Login    string  `json:"login"`
	Start    string  `json:"start"` // YYYY-MM-DD (from 0:00 that day) or RFC 3339
	End      *string `json:"end"`   // the day the term ends (rights stop that day at 0:00); "" or absent: open-ended
	Decision string  `json:"decision"`
	// DecisionDocument is the path of the minutes in the repository.
	DecisionDocument string `json:"decision_document"`
}

// parseTermDay reads a date (the start of that day in the server's time zone)
// or an RFC 3339 time.
func parseTermDay(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if d, err := time.ParseInLocation("2006-01-02", v, time.Local); err == nil {
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %q is not a date (YYYY-MM-DD)", auth.ErrInvalid, v)
	}
	return t, nil
}

// decisionNode finds the minutes document at path; p must be able to read it.
func (s *Server) decisionNode(ctx context.Context, p acl.Principal, path string) (int64, error) {
	path = strings.TrimSpace(path)
	if path == "" {
		return 0, nil
	}
	n, err := s.repo.Tree.Stat(ctx, p, path)
	if err != nil {
		return 0, fmt.Errorf("the decision's document: %w", err)
	}
	if n.Role < acl.Viewer {
		return 0, fmt.Errorf("the decision's document %s: %w", path, repo.ErrNotFound)
	}
	return n.ID, nil
}

func (s *Server) apiAddTerm(c *fiber.Ctx) error {
	var req termRequest
	if err := readJSON(c, &req); err != nil {
		return err
	}
	ctx, p := c.UserContext(), principal(c)
	in := auth.TermInput{Office: req.Role, Login: req.Login, Decision: req.Decision}
	var err error
	if in.Start, err = parseTermDay(req.Start); err != nil {
		return err
	}
	if req.End != nil && strings.TrimSpace(*req.End) != "" {
		if in.End, err = parseTermDay(*req.End); err != nil {
			return err
		}
	}
	if in.DecisionNode, err = s.decisionNode(ctx, p, req.DecisionDocument); err != nil {
		return err
	}
	t, err := s.auth.AddTerm(ctx, actor(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(s.toTermJSON(ctx, p, t))
}

func termID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("term %q: %w", c.Params("id"), auth.ErrNoTerm)
	}
	return id, nil
}

// apiSetTermEnd: PATCH {"end": "2027-06-14"} ends (or extends) a term;
// {"end": ""} makes it open-ended.
func (s *Server) apiSetTermEnd(c *fiber.Ctx) error {
	id, err := termID(c)
	if err != nil {
		return err
	}
	var req struct {
		End *string `json:"end"`
	}
	if err := readJSON(c, &req); err != nil {
		return err
	}
	if req.End == nil {
		return fmt.Errorf("%w: say {\"end\": \"YYYY-MM-DD\"} (or \"\" for no end)", errBadRequest)
	}
	var end time.Time
	if strings.TrimSpace(*req.End) != "" {
		if end, err = parseTermDay(*req.End); err != nil {
			return err
		}
	}
	t, err := s.auth.SetTermEnd(c.UserContext(), actor(c), id, end)
	if err != nil {
		return err
	}
	return c.JSON(s.toTermJSON(c.UserContext(), principal(c), t))
}

func (s *Server) apiDeleteTerm(c *fiber.Ctx) error {
	id, err := termID(c)
	if err != nil {
		return err
	}
	if err := s.auth.DeleteTerm(c.UserContext(), actor(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// apiMyTerms: the caller's own terms, past, present and coming.
func (s *Server) apiMyTerms(c *fiber.Ctx) error {
	if err := requireUser(c); err != nil {
		return err
	}
	p := principal(c)
	ts, err := s.auth.Terms(c.UserContext(), auth.TermFilter{UserID: p.UserID})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"terms": s.termsJSON(c.UserContext(), p, ts)})
}
