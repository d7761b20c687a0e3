package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/repo"
)

// Grants on folders and files, and "why can X see this?".
func (s *Server) grantRoutes(api fiber.Router) {
	for _, p := range []string{"/grants", "/grants/*"} {
		api.Get(p, s.listGrants)
		api.Post(p, s.addGrant)
		api.Delete(p, s.removeGrant)
	}
	api.Put("/restricted/*", s.setRestricted)
	api.Get("/explain", s.explain)
	api.Get("/explain/*", s.explain)
	api.Get("/principals", s.principals)
	api.Get("/nodes/:id", s.statByID)
}

type grantJSON struct {
	ID        int64     `json:"id"`
	Path      string    `json:"path"`
	Principal string    `json:"principal"` // user:LOGIN, group:NAME, role:NAME, members, public
	Kind      string    `json:"kind"`
	Name      string    `json:"name,omitempty"`
	Role      string    `json:"role"`
	Inherited bool      `json:"inherited"`
	Blocked   bool      `json:"blocked,omitempty"` // above a restricted folder: does not apply here
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by,omitempty"`
}

func toGrantJSON(g repo.GrantInfo) grantJSON {
	return grantJSON{g.ID, g.Path, g.Grantee.String(), string(g.Kind), g.Grantee.Name, g.Role.String(), g.Inherited, g.Blocked, g.CreatedAt, g.CreatedBy}
}

func toGrantsJSON(gs []repo.GrantInfo) []grantJSON {
	out := make([]grantJSON, len(gs))
	for i, g := range gs {
		out[i] = toGrantJSON(g)
	}
	return out
}

func (s *Server) listGrants(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	n, gs, err := s.repo.Access.Grants(c.UserContext(), principal(c), p)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"node": toJSON(n), "grants": toGrantsJSON(gs)})
}

func (s *Server) addGrant(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	var req struct {
		Principal string `json:"principal"`
		Role      string `json:"role"`
	}
	if err := readJSON(c, &req); err != nil {
		return err
	}
	to, err := repo.ParseGrantee(req.Principal)
	if err != nil {
		return err
	}
	role, err := acl.ParseRole(req.Role)
	if err != nil {
		return fmt.Errorf("%w: %v", errBadRequest, err)
	}
	g, err := s.repo.Access.Grant(c.UserContext(), principal(c), p, to, role)
	if err != nil {
		return err
	}
	s.notifyGrant(c.UserContext(), principal(c), p, to, role)
	return c.JSON(toGrantJSON(g))
}

// removeGrant takes ?principal=user:marie (or group:…, role:…, members, public).
func (s *Server) removeGrant(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	to, err := repo.ParseGrantee(c.Query("principal"))
	if err != nil {
		return err
	}
	if err := s.repo.Access.Revoke(c.UserContext(), principal(c), p, to); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// explain answers "why can X see this?" for ?user=LOGIN, ?anonymous=1
// (a visitor without an account), or by default the caller.
func (s *Server) explain(c *fiber.Ctx) error {
	path, err := pathParam(c)
	if err != nil {
		return err
	}
	asker := principal(c)
	who, name, disabled := asker, asker.Login, false
	switch {
	case c.Query("anonymous") != "":
		who, name = acl.Principal{}, "anonymous"
	case c.Query("user") != "":
		p, u, err := s.auth.PrincipalOf(c.UserContext(), c.Query("user"))
		if err != nil {
			return err
		}
		who, name, disabled = p, u.Login, u.Disabled
	case asker.Anonymous():
		name = "anonymous"
	}
	ex, err := s.repo.Access.Explain(c.UserContext(), asker, who, path)
	if err != nil {
		return err
	}
	role := ex.Role
	if disabled {
		role = acl.None
	}
	return c.JSON(fiber.Map{"path": ex.Path, "who": name, "role": role.String(), "admin": ex.Admin && !disabled,
		"traverse": ex.Traverse, "disabled": disabled, "because": toGrantsJSON(ex.Because), "summary": summary(name, role, ex, disabled),
		"restricted_at": ex.RestrictedAt})
}

// summary says the explanation in one sentence.
func summary(who string, role acl.Role, ex repo.Explanation, disabled bool) string {
	switch {
	case disabled:
		return fmt.Sprintf("%s is disabled and can see nothing.", who)
	case ex.Admin:
		return fmt.Sprintf("%s is an administrator: manager everywhere.", who)
	case role == acl.None && ex.Traverse:
		return fmt.Sprintf("%s sees only the name of %s, on the way to something granted further down.", who, ex.Path)
	case role == acl.None && ex.RestrictedAt != "":
		return fmt.Sprintf("%s cannot see %s: access to %s is restricted and no grant on it or below applies.", who, ex.Path, ex.RestrictedAt)
	case role == acl.None:
		return fmt.Sprintf("%s cannot see %s: no grant applies.", who, ex.Path)
	}
	var because []string
	for _, g := range ex.Because {
		because = append(because, fmt.Sprintf("%s is %s on %s", g.Grantee, g.Role, g.Path))
	}
	out := fmt.Sprintf("%s is %s on %s because %s.", who, role, ex.Path, strings.Join(because, ", and "))
	if ex.RestrictedAt != "" {
		out += fmt.Sprintf(" Access to %s is restricted: grants above it do not apply.", ex.RestrictedAt)
	}
	return out
}

// principals lists accounts, groups and roles to pick from when granting. Not for
// guests: they must not learn who else has an account.
func (s *Server) principals(c *fiber.Ctx) error {
	if err := requireUser(c); err != nil {
		return err
	}
	if p := principal(c); !p.IsAdmin() && p.Role != acl.Member {
		return fmt.Errorf("guests cannot list accounts: %w", acl.ErrForbidden)
	}
	q := strings.ToLower(c.Query("q"))
	users, err := s.auth.Users(c.UserContext())
	if err != nil {
		return err
	}
	groups, err := s.auth.Groups(c.UserContext())
	if err != nil {
		return err
	}
	type userRef struct {
		Login       string `json:"login"`
		DisplayName string `json:"display_name"`
	}
	offices, err := s.auth.Offices(c.UserContext())
	if err != nil {
		return err
	}
	us, gs, rs := []userRef{}, []string{}, []string{}
	for _, u := range users {
		if !u.Disabled && (strings.Contains(strings.ToLower(u.Login), q) || strings.Contains(strings.ToLower(u.DisplayName), q)) && len(us) < 50 {
			us = append(us, userRef{u.Login, u.DisplayName})
		}
	}
	for _, g := range groups {
		if strings.Contains(strings.ToLower(g.Name), q) && len(gs) < 50 {
			gs = append(gs, g.Name)
		}
	}
	for _, o := range offices {
		if (strings.Contains(strings.ToLower(o.Name), q) || strings.Contains(o.SeedKey, q)) && len(rs) < 50 {
			rs = append(rs, o.Name)
		}
	}
	return c.JSON(fiber.Map{"users": us, "groups": gs, "roles": rs})
}

// statByID is a node by id (permalinks). Unreadable and missing ids get
// the same answer.
func (s *Server) statByID(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return fmt.Errorf("node %q: %w", c.Params("id"), repo.ErrNotFound)
	}
	n, err := s.repo.Tree.StatID(c.UserContext(), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(toJSON(n))
}

// setRestricted: PUT /api/v1/restricted/PATH {"restricted": true|false}
// turns « accès restreint » on or off (managers of the folder).
func (s *Server) setRestricted(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	var req struct {
		Restricted *bool `json:"restricted"`
	}
	if err := readJSON(c, &req); err != nil {
		return err
	}
	if req.Restricted == nil {
		return fmt.Errorf("%w: say {\"restricted\": true} or false", errBadRequest)
	}
	n, err := s.repo.Tree.SetRestricted(c.UserContext(), principal(c), p, *req.Restricted)
	if err != nil {
		return err
	}
	return c.JSON(toJSON(n))
}
