package web

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
	"notreasso/internal/repo"
)

// Groups: a list, and one page per group with its members and the folders
// it reaches. Every form redirects (POST-redirect-GET).

func groupURL(name string) string { return "/admin/groups/" + url.PathEscape(name) }

func (s *Server) groupsPage(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	groups, err := s.auth.Groups(c.UserContext())
	if err != nil {
		return err
	}
	type row struct {
		auth.Group
		Folders int
	}
	rows := make([]row, len(groups))
	for i, g := range groups {
		gs, err := s.repo.Access.GrantsTo(c.UserContext(), principal(c), repo.Grantee{Kind: acl.KindGroup, Name: g.Name})
		if err != nil {
			return err
		}
		rows[i] = row{g, len(gs)}
	}
	pg := s.newPage(c, "admin")
	pg.Title = pg.L.T("grp.title")
	pg.Data = struct{ Groups []row }{rows}
	return s.render(c, fiber.StatusOK, "groups", pg)
}

// memberRow is a member with the name people know them by.
type memberRow struct {
	Login       string
	DisplayName string
	Disabled    bool
}

func (s *Server) groupPage(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	g, err := s.auth.GroupByName(ctx, name)
	if err != nil {
		return err
	}
	users, err := s.auth.Users(ctx)
	if err != nil {
		return err
	}
	byLogin := map[string]auth.User{}
	for _, u := range users {
		byLogin[u.Login] = u
	}
	members := make([]memberRow, len(g.Members))
	for i, m := range g.Members {
		u := byLogin[m]
		members[i] = memberRow{m, u.DisplayName, u.Disabled}
	}
	grants, err := s.repo.Access.GrantsTo(ctx, principal(c), repo.Grantee{Kind: acl.KindGroup, Name: g.Name})
	if err != nil {
		return err
	}
	folders, err := s.folderChoices(c)
	if err != nil {
		return err
	}
	pg := s.newPage(c, "admin")
	pg.Title = g.Name
	pg.Data = struct {
		G       auth.Group
		Members []memberRow
		Grants  []repo.GrantInfo
		Folders []string
	}{g, members, grants, folders}
	return s.render(c, fiber.StatusOK, "group", pg)
}

// groupError turns a group service error into the page's message.
func groupError(c *fiber.Ctx, err error, to string) error {
	key := ""
	switch {
	case errors.Is(err, auth.ErrGroupExists):
		key = "group_exists"
	case errors.Is(err, auth.ErrInvalid):
		key = "group_invalid"
	case errors.Is(err, auth.ErrNoUser):
		key = "no_account"
	case errors.Is(err, auth.ErrNoGroup):
		return c.Redirect("/admin/groups?err=not_found", fiber.StatusSeeOther)
	default:
		return err
	}
	return c.Redirect(to+"?err="+key, fiber.StatusSeeOther)
}

func (s *Server) createGroupForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	g, err := s.auth.CreateGroup(c.UserContext(), principal(c).UserID, c.FormValue("name"))
	if err != nil {
		return groupError(c, err, "/admin/groups")
	}
	return c.Redirect(groupURL(g.Name)+"?ok=group_created", fiber.StatusSeeOther)
}

func (s *Server) renameGroupForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	old := c.FormValue("group")
	if err := s.auth.RenameGroup(c.UserContext(), principal(c).UserID, old, c.FormValue("name")); err != nil {
		return groupError(c, err, groupURL(old))
	}
	name, _ := auth.CleanGroupName(c.FormValue("name"))
	return c.Redirect(groupURL(name)+"?ok=group_renamed", fiber.StatusSeeOther)
}

func (s *Server) deleteGroupForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	if err := s.auth.DeleteGroup(c.UserContext(), principal(c).UserID, c.FormValue("group")); err != nil {
		return groupError(c, err, "/admin/groups")
	}
	return c.Redirect("/admin/groups?ok=group_deleted", fiber.StatusSeeOther)
}

// groupMemberForm adds (or, with remove=1, removes) one account. The
// login may come as "Marie Curie (marie)" from the suggestion list.
func (s *Server) groupMemberForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	group, login := c.FormValue("group"), memberLogin(c.FormValue("login"))
	ctx, actor := c.UserContext(), principal(c).UserID
	if login == "" {
		return c.Redirect(groupURL(group)+"?err=no_account", fiber.StatusSeeOther)
	}
	if c.FormValue("remove") != "" {
		if err := s.auth.RemoveMember(ctx, actor, group, login); err != nil {
			return groupError(c, err, groupURL(group))
		}
		return c.Redirect(groupURL(group)+"?ok=member_removed", fiber.StatusSeeOther)
	}
	if err := s.auth.AddMember(ctx, actor, group, login); err != nil {
		return groupError(c, err, groupURL(group))
	}
	return c.Redirect(groupURL(group)+"?ok=member_added#add-member", fiber.StatusSeeOther)
}

// memberLogin reads "Display Name (login)" or a bare login.
func memberLogin(v string) string {
	v = strings.TrimSpace(v)
	if strings.HasSuffix(v, ")") {
		if i := strings.LastIndex(v, "("); i >= 0 {
			return strings.TrimSpace(v[i+1 : len(v)-1])
		}
	}
	return v
}

// folderChoices suggests folders to open to a group: the top-level folders
// and the ones just below them (at most 300).
func (s *Server) folderChoices(c *fiber.Ctx) ([]string, error) {
	ctx, p := c.UserContext(), principal(c)
	_, top, err := s.repo.Tree.List(ctx, p, "/")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range top {
		if !n.Dir {
			continue
		}
		out = append(out, n.Path)
		_, kids, err := s.repo.Tree.List(ctx, p, n.Path)
		if err != nil {
			return nil, err
		}
		for _, k := range kids {
			if k.Dir && len(out) < 300 {
				out = append(out, k.Path)
			}
		}
	}
	return out, nil
}

// groupGrantForm opens a folder to the group with a role, or (remove=1)
// takes the group's grant on it away.
func (s *Server) groupGrantForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	group := c.FormValue("group")
	to := groupURL(group)
	path := "/" + strings.Trim(strings.TrimSpace(c.FormValue("path")), "/")
	who := repo.Grantee{Kind: acl.KindGroup, Name: group}
	if c.FormValue("remove") != "" {
		return doneTo(c, to, s.repo.Access.Revoke(c.UserContext(), principal(c), path, who), "grant_removed")
	}
	role, err := acl.ParseRole(c.FormValue("role"))
	if err != nil || role < acl.Viewer {
		return redirectMsg(c, to, "err", "invalid")
	}
	_, err = s.repo.Access.Grant(c.UserContext(), principal(c), path, who, role)
	if err == nil {
		s.notifyGrant(c.UserContext(), principal(c), path, who, role)
	}
	return doneTo(c, to, err, "grant_added")
}
