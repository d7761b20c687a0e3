package web

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
	"notreasso/internal/repo"
)

// « Rôles »: the association's roles and who holds them, one page per
// role with its terms and the folders it reaches, the register
// (« historique des mandats », ui_terms.go) and the handover page
// (ui_handover.go). Every form redirects (POST-redirect-GET).

func roleURL(name string) string { return "/admin/roles/" + url.PathEscape(name) }

func (s *Server) uiRoleRoutes(page, post func(string, fiber.Handler)) {
	page("/admin/roles", s.rolesPage)
	page("/admin/roles/:name", s.rolePage)
	page("/admin/terms", s.registerPage)
	page("/handover/:id", s.handoverPage)
	post("/do/admin/roles", s.createRoleForm)
	post("/do/admin/roles/update", s.updateRoleForm)
	post("/do/admin/roles/delete", s.deleteRoleForm)
	post("/do/admin/roles/grants", s.roleGrantForm)
	post("/do/admin/terms", s.addTermForm)
	post("/do/admin/terms/end", s.endTermForm)
	post("/do/admin/terms/delete", s.deleteTermForm)
	post("/do/handover/link", s.handoverLinkForm)
	post("/do/handover/collection", s.handoverCollectionForm)
}

// termRow is a term as pages show it.
type termRow struct {
	auth.Term
	Label    string // the role, in the reader's words
	State    string // upcoming, current, ended
	DocPath  string // the minutes, if the reader may read them
	Soon     bool   // current and ending within auth.ReminderDays
	DaysLeft int
	EndInput string // the end as a date field's value
	// Predecessor: on the holder's own page, the term of whoever held the
	// role before them (0: none), for the handover page.
	Predecessor     int64
	PredecessorName string
}

func (s *Server) termRows(ctx context.Context, p acl.Principal, l *Locale, ts []auth.Term) []termRow {
	now := s.auth.Now()
	out := make([]termRow, len(ts))
	for i, t := range ts {
		r := termRow{Term: t, Label: officeLabel(l, t.Office), State: string(t.StateAt(now)), DocPath: s.decisionPath(ctx, p, t)}
		if !t.End.IsZero() {
			r.EndInput = t.End.Local().Format("2006-01-02")
			r.DaysLeft = auth.DaysLeft(t, now)
			r.Soon = r.State == string(auth.TermCurrent) && r.DaysLeft <= auth.ReminderDays
		}
		out[i] = r
	}
	return out
}

// roleRow is a role on the roles page.
type roleRow struct {
	auth.Office
	Label    string
	Holders  []termRow // current terms
	Upcoming []termRow
	Folders  int
}

type rolesData struct {
	Roles  []roleRow
	Ending []termRow // current terms ending within auth.ReminderDays
	Form   termForm
}

// termForm is what the « record a term » form (parts/roles.html) needs.
type termForm struct {
	L      *Locale
	CSRF   string
	Roles  []officeChoice // empty when Fixed is set
	Fixed  string         // the role, on a role's own page
	People []auth.User
	Today  string
	Back   string
}

func (s *Server) termForm(c *fiber.Ctx, pg *page, fixed string) (termForm, error) {
	f := termForm{L: pg.L, CSRF: pg.CSRF, Fixed: fixed, Today: s.auth.Now().Local().Format("2006-01-02"), Back: pg.Path}
	var err error
	if fixed == "" {
		if f.Roles, err = s.officeChoices(c, pg.L); err != nil {
			return f, err
		}
	}
	f.People, err = s.activeUsers(c.UserContext())
	return f, err
}

func (s *Server) rolesPage(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	ctx, p := c.UserContext(), principal(c)
	pg := s.newPage(c, "admin")
	os, err := s.auth.Offices(ctx)
	if err != nil {
		return err
	}
	all, err := s.auth.Terms(ctx, auth.TermFilter{})
	if err != nil {
		return err
	}
	rows := s.termRows(ctx, p, pg.L, all)
	var d rolesData
	for _, o := range os {
		r := roleRow{Office: o, Label: officeLabel(pg.L, o.Name)}
		for _, t := range rows {
			switch {
			case t.OfficeID != o.ID:
			case t.State == string(auth.TermCurrent):
				r.Holders = append(r.Holders, t)
			case t.State == string(auth.TermUpcoming):
				r.Upcoming = append(r.Upcoming, t)
			}
		}
		gs, err := s.repo.Access.GrantsTo(ctx, p, repo.Grantee{Kind: acl.KindRole, Name: o.Name})
		if err != nil {
			return err
		}
		r.Folders = len(gs)
		d.Roles = append(d.Roles, r)
	}
	for _, t := range rows {
		if t.Soon && !t.OfficeGone {
			d.Ending = append(d.Ending, t)
		}
	}
	if d.Form, err = s.termForm(c, pg, ""); err != nil {
		return err
	}
	pg.Title = pg.L.T("roles.title")
	pg.Data = d
	return s.render(c, fiber.StatusOK, "roles", pg)
}

func (s *Server) activeUsers(ctx context.Context) ([]auth.User, error) {
	users, err := s.auth.Users(ctx)
	if err != nil {
		return nil, err
	}
	out := users[:0]
	for _, u := range users {
		if !u.Disabled {
			out = append(out, u)
		}
	}
	return out, nil
}

func (s *Server) rolePage(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	ctx, p := c.UserContext(), principal(c)
	o, err := s.auth.OfficeByName(ctx, name)
	if err != nil {
		return err
	}
	pg := s.newPage(c, "admin")
	ts, err := s.auth.Terms(ctx, auth.TermFilter{OfficeID: o.ID})
	if err != nil {
		return err
	}
	grants, err := s.repo.Access.GrantsTo(ctx, p, repo.Grantee{Kind: acl.KindRole, Name: o.Name})
	if err != nil {
		return err
	}
	folders, err := s.folderChoices(c)
	if err != nil {
		return err
	}
	form, err := s.termForm(c, pg, o.Name)
	if err != nil {
		return err
	}
	pg.Title = officeLabel(pg.L, o.Name)
	pg.Data = struct {
		O       auth.Office
		Label   string
		Terms   []termRow
		Grants  []repo.GrantInfo
		Folders []string
		Form    termForm
	}{o, pg.Title, s.termRows(ctx, p, pg.L, ts), grants, folders, form}
	return s.render(c, fiber.StatusOK, "role", pg)
}

func (s *Server) createRoleForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	o, err := s.auth.CreateOffice(c.UserContext(), actor(c), c.FormValue("name"), c.FormValue("description"))
	if err != nil {
		return doneTo(c, "/admin/roles", err, "")
	}
	return redirectMsg(c, roleURL(o.Name), "ok", "role_created")
}

func (s *Server) updateRoleForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	old := c.FormValue("role")
	o, err := s.auth.UpdateOffice(c.UserContext(), actor(c), old, c.FormValue("name"), c.FormValue("description"))
	if err != nil {
		return doneTo(c, roleURL(old), err, "")
	}
	return redirectMsg(c, roleURL(o.Name), "ok", "role_updated")
}

func (s *Server) deleteRoleForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	return doneTo(c, "/admin/roles", s.auth.DeleteOffice(c.UserContext(), actor(c), c.FormValue("role")), "role_deleted")
}

// roleGrantForm opens a folder to the role, or (remove=1) takes the
// role's grant on it away.
func (s *Server) roleGrantForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	name := c.FormValue("role")
	to := roleURL(name)
	path := "/" + strings.Trim(strings.TrimSpace(c.FormValue("path")), "/")
	who := repo.Grantee{Kind: acl.KindRole, Name: name}
	if c.FormValue("remove") != "" {
		return doneTo(c, to, s.repo.Access.Revoke(c.UserContext(), principal(c), path, who), "role_ungranted")
	}
	level, err := acl.ParseRole(c.FormValue("level"))
	if err != nil {
		return redirectMsg(c, to, "err", "invalid")
	}
	_, err = s.repo.Access.Grant(c.UserContext(), principal(c), path, who, level)
	return doneTo(c, to, err, "role_granted")
}

// addTermForm records a term. The person may come as "Name (login)".
func (s *Server) addTermForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	ctx, p := c.UserContext(), principal(c)
	in := auth.TermInput{Office: c.FormValue("role"), Login: memberLogin(c.FormValue("login")), Decision: c.FormValue("decision")}
	var err error
	if in.Start, err = parseTermDay(c.FormValue("start")); err != nil {
		return done(c, err, "")
	}
	if v := strings.TrimSpace(c.FormValue("end")); v != "" {
		if in.End, err = parseTermDay(v); err != nil {
			return done(c, err, "")
		}
	}
	if in.DecisionNode, err = s.decisionNode(ctx, p, c.FormValue("decision_path")); err != nil {
		return back(c, "err", "term_document")
	}
	_, err = s.auth.AddTerm(ctx, actor(c), in)
	return done(c, err, "term_added")
}

// endTermForm sets a term's end (empty: no end).
func (s *Server) endTermForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.FormValue("id"), 10, 64)
	if err != nil {
		return back(c, "err", "not_found")
	}
	var end time.Time
	if v := strings.TrimSpace(c.FormValue("end")); v != "" {
		if end, err = parseTermDay(v); err != nil {
			return done(c, err, "")
		}
	}
	_, err = s.auth.SetTermEnd(c.UserContext(), actor(c), id, end)
	return done(c, err, "term_ended")
}

func (s *Server) deleteTermForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.FormValue("id"), 10, 64)
	if err != nil {
		return back(c, "err", "not_found")
	}
	return done(c, s.auth.DeleteTerm(c.UserContext(), actor(c), id), "term_deleted")
}
