package web

import (
	"errors"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
	"notreasso/internal/repo"
)

// The « Partager / Share » panel: one page per file or folder, /share/PATH,
// that says who has access and why, and lets the node's managers change
// it: grants, « accès restreint », public access and share links. Every
// change is a small form that works without JavaScript and redirects back
// (share.js only adds conveniences).

func (s *Server) sharePanelRoutes() {
	csrf := s.csrf()
	s.app.Get("/share/*", s.identify, csrf, s.sharePanel)
	for path, h := range map[string]fiber.Handler{
		"/do/share/grant":       s.doShareGrant,
		"/do/share/revoke":      s.doShareRevoke,
		"/do/share/restrict":    s.doShareRestrict,
		"/do/share/public":      s.doSharePublic,
		"/do/share/link":        s.doShareLink,
		"/do/share/link/revoke": s.doShareLinkRevoke,
	} {
		s.app.Post(path, s.identify, csrf, h)
	}
}

// sharePanelData is what share_panel.html renders.
type sharePanelData struct {
	Node       repo.Node
	Crumbs     []crumb
	Manager    bool // may change anything here
	Grants     []grantRow
	Why        repo.Explanation // for non-managers: why they see it
	Because    []grantRow       // Why.Because, labelled
	Roles      []string
	Public     bool // a public grant on the node itself
	Groups     []string
	Offices    []officeChoice // the association's roles (« Trésorier·e »)
	Users      []auth.User
	Suggested  string // the group whose name the folder's name contains
	Links      []shareLinkRow
	NewLink    string // the URL of a link just created, shown once
	Restricted string // the nearest restricted folder at or above the node
	Admin      bool
	Back       string
	// Asked: « why can this person see it? », for ?who=LOGIN (managers).
	Asked *askedWhy
}

type askedWhy struct {
	Login    string
	Disabled bool
	Ex       repo.Explanation
	Because  []grantRow
}

// grantRow is a grant with its principal said in words.
type grantRow struct {
	repo.GrantInfo
	Label string
}

func granteeLabel(g repo.Grantee, l *Locale) string {
	switch g.Kind {
	case acl.KindMembers:
		return l.T("share.members")
	case acl.KindPublic:
		return l.T("share.public")
	case acl.KindGroup:
		return l.T("share.group", "Name", g.Name)
	case acl.KindRole:
		return l.T("roles.principal", "Name", officeLabel(l, g.Name))
	}
	return g.Name
}

// officeChoice is a role as a form offers it: its name (what the form
// sends) and how the reader reads it.
type officeChoice struct {
	Name, Label string
}

// officeLabel is a role's name for the reader: a seeded role that kept
// its seeded name is said in the reader's language.
func officeLabel(l *Locale, name string) string {
	for _, so := range auth.SeededOffices {
		if so.Name == name {
			return l.T("roles.seed." + so.Key)
		}
	}
	return name
}

func (s *Server) officeChoices(c *fiber.Ctx, l *Locale) ([]officeChoice, error) {
	os, err := s.auth.Offices(c.UserContext())
	if err != nil {
		return nil, err
	}
	out := make([]officeChoice, len(os))
	for i, o := range os {
		out[i] = officeChoice{o.Name, officeLabel(l, o.Name)}
	}
	return out, nil
}

func grantRows(gs []repo.GrantInfo, l *Locale) []grantRow {
	out := make([]grantRow, len(gs))
	for i, g := range gs {
		out[i] = grantRow{g, granteeLabel(g.Grantee, l)}
	}
	return out
}

type shareLinkRow struct {
	repo.Share
	Active  bool
	History []repo.Entry
}

func (s *Server) sharePanel(c *fiber.Ctx) error {
	who := principal(c)
	if who.Anonymous() {
		return loginRedirect(c)
	}
	path, err := pathParam(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	n, err := s.repo.Tree.Stat(ctx, who, path)
	if err != nil {
		return err
	}
	pg := s.newPage(c, "browse")
	d := sharePanelData{Node: n, Crumbs: crumbsOf(n.Path), Manager: n.Role >= acl.Manager, Admin: who.IsAdmin(),
		Roles: grantRoles}
	if d.Why, err = s.repo.Access.Explain(ctx, who, who, n.Path); err != nil {
		return err
	}
	d.Because = grantRows(d.Why.Because, pg.L)
	d.Restricted = d.Why.RestrictedAt
	if d.Manager {
		_, gs, err := s.repo.Access.Grants(ctx, who, n.Path)
		if err != nil {
			return err
		}
		d.Grants = grantRows(gs, pg.L)
		for _, g := range gs {
			d.Public = d.Public || (!g.Inherited && g.Kind == acl.KindPublic)
		}
		if err := s.shareChoices(c, &d, pg.L); err != nil {
			return err
		}
		if login := strings.TrimSpace(c.Query("who")); login != "" {
			if err := s.askWhy(c, &d, login, pg.L); err != nil {
				return err
			}
		}
		links, err := s.repo.Shares.Shares(ctx, who, n.Path)
		if err != nil {
			return err
		}
		now := time.Now()
		for _, l := range links {
			row := shareLinkRow{Share: l, Active: l.Active(now)}
			if row.History, err = s.repo.Shares.ShareHistory(ctx, who, l.ID, 20); err != nil {
				return err
			}
			d.Links = append(d.Links, row)
		}
		if u := c.Cookies(newLinkCookie); u != "" {
			if strings.HasPrefix(u, s.cfg.PublicURL()+"/s/") {
				d.NewLink = u
			}
			s.setNewLinkCookie(c, "", -1)
		}
	}
	pg.Title = pg.L.T("share.title", "Name", nodeTitle(n, pg.L))
	d.Back = pg.Path
	pg.Data = d
	return s.render(c, fiber.StatusOK, "sharing", pg)
}

func nodeTitle(n repo.Node, l *Locale) string {
	if n.Path == "/" {
		return l.T("browse.root")
	}
	return n.Name
}

// shareChoices lists the people and groups a manager may pick from (the
// datalist of the add form); guests managing a folder get no directory.
func (s *Server) shareChoices(c *fiber.Ctx, d *sharePanelData, l *Locale) error {
	who := principal(c)
	if !who.IsAdmin() && who.Role != acl.Member {
		return nil
	}
	groups, err := s.auth.Groups(c.UserContext())
	if err != nil {
		return err
	}
	lname := strings.ToLower(d.Node.Name)
	for _, g := range groups {
		d.Groups = append(d.Groups, g.Name)
		if d.Suggested == "" && strings.Contains(lname, strings.ToLower(g.Name)) {
			d.Suggested = g.Name
		}
	}
	if d.Offices, err = s.officeChoices(c, l); err != nil {
		return err
	}
	users, err := s.auth.Users(c.UserContext())
	if err != nil {
		return err
	}
	for _, u := range users {
		if !u.Disabled {
			d.Users = append(d.Users, u)
		}
	}
	return nil
}

// granteeOf reads the « person, group or role » field: "group:NAME",
// "role:NAME", "user:LOGIN", a bare login, or a group's or role's name.
func (s *Server) granteeOf(c *fiber.Ctx, v string) (repo.Grantee, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return repo.Grantee{}, fmt.Errorf("%w: choose a person or a group", repo.ErrInvalidName)
	}
	if !strings.Contains(v, ":") && v != "members" && v != "public" {
		if _, err := s.auth.UserByLogin(c.UserContext(), v); err != nil {
			if groups, gerr := s.auth.Groups(c.UserContext()); gerr == nil {
				for _, g := range groups {
					if strings.EqualFold(g.Name, v) {
						return repo.Grantee{Kind: acl.KindGroup, Name: g.Name}, nil
					}
				}
			}
			if o, err := s.auth.OfficeByName(c.UserContext(), v); err == nil {
				return repo.Grantee{Kind: acl.KindRole, Name: o.Name}, nil
			}
		}
	}
	return repo.ParseGrantee(v)
}

func (s *Server) doShareGrant(c *fiber.Ctx) error {
	to, err := s.granteeOf(c, c.FormValue("principal"))
	if err != nil {
		return done(c, err, "")
	}
	role, err := acl.ParseRole(c.FormValue("role"))
	if err != nil {
		return done(c, fmt.Errorf("%w: %v", repo.ErrInvalidName, err), "")
	}
	_, err = s.repo.Access.Grant(c.UserContext(), principal(c), c.FormValue("path"), to, role)
	if err == nil {
		s.notifyGrant(c.UserContext(), principal(c), c.FormValue("path"), to, role)
	}
	return done(c, err, "share_granted")
}

func (s *Server) doShareRevoke(c *fiber.Ctx) error {
	to, err := repo.ParseGrantee(c.FormValue("principal"))
	if err != nil {
		return done(c, err, "")
	}
	return done(c, s.repo.Access.Revoke(c.UserContext(), principal(c), c.FormValue("path"), to), "share_revoked")
}

// doShareRestrict turns « accès restreint » on or off. With a group (the
// panel's one-step form) it first gives the group its role on the folder,
// then restricts it: managers above keep managing (repo.SetRestricted).
func (s *Server) doShareRestrict(c *fiber.Ctx) error {
	ctx, who, path := c.UserContext(), principal(c), c.FormValue("path")
	on := c.FormValue("restricted") != "0"
	// "-": restrict without giving it to a group (only who is listed).
	var granted *repo.Grantee
	role := acl.Editor
	if g := strings.TrimSpace(c.FormValue("group")); on && g != "" && g != "-" {
		if r, err := acl.ParseRole(c.FormValue("role")); err == nil {
			role = r
		}
		to := repo.Grantee{Kind: acl.KindGroup, Name: g}
		if name, ok := strings.CutPrefix(g, "role:"); ok { // a role, offered beside the groups
			to = repo.Grantee{Kind: acl.KindRole, Name: name}
		}
		if _, err := s.repo.Access.Grant(ctx, who, path, to, role); err != nil {
			return done(c, err, "")
		}
		granted = &repo.Grantee{Kind: acl.KindGroup, Name: g}
	}
	_, err := s.repo.Tree.SetRestricted(ctx, who, path, on)
	if err == nil && granted != nil {
		s.notifyGrant(ctx, who, path, *granted, role)
	}
	if on {
		return done(c, err, "share_restricted")
	}
	return done(c, err, "share_unrestricted")
}

func (s *Server) doSharePublic(c *fiber.Ctx) error {
	ctx, who, path := c.UserContext(), principal(c), c.FormValue("path")
	pub := repo.Grantee{Kind: acl.KindPublic}
	if c.FormValue("public") == "0" {
		return done(c, s.repo.Access.Revoke(ctx, who, path, pub), "share_private")
	}
	role := acl.Viewer
	if r, err := acl.ParseRole(c.FormValue("role")); err == nil {
		role = r
	}
	_, err := s.repo.Access.Grant(ctx, who, path, pub, role)
	return done(c, err, "share_public")
}

// newLinkCookie carries a link just created to the panel the browser is
// sent back to, which shows it once and clears it. A cookie, not the
// session: sessions are stored in the database, where a link's token must
// never be (only its fingerprint is); nor in a URL, which gets logged.
const newLinkCookie = "notreasso_new_link"

func (s *Server) setNewLinkCookie(c *fiber.Ctx, value string, maxAge int) {
	c.Cookie(&fiber.Cookie{Name: newLinkCookie, Value: value, Path: "/share/", MaxAge: maxAge,
		Secure: s.cfg.SecureCookies(), HTTPOnly: true, SameSite: "Strict"})
}

// doShareLink creates a share link. Its address is shown once, on the
// panel the browser is sent back to (see newLinkCookie).
func (s *Server) doShareLink(c *fiber.Ctx) error {
	o := repo.ShareOptions{Kind: c.FormValue("kind"), Password: c.FormValue("password"), Label: c.FormValue("label")}
	if o.Kind == "" {
		o.Kind = repo.ShareViewer
	}
	if v := strings.TrimSpace(c.FormValue("max_downloads")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return done(c, fmt.Errorf("%w: download limit %q", repo.ErrInvalidName, v), "")
		}
		o.MaxDownloads = n
	}
	if v := strings.TrimSpace(c.FormValue("expires")); v != "" {
		// A date field: the link works until the end of that day, in the
		// server's time zone.
		day, err := time.ParseInLocation("2006-01-02", v, time.Local)
		if err != nil {
			return done(c, fmt.Errorf("%w: expiry date %q", repo.ErrInvalidName, v), "")
		}
		o.ExpiresAt = day.AddDate(0, 0, 1)
	}
	_, token, err := s.repo.Shares.CreateShare(c.UserContext(), principal(c), c.FormValue("path"), o)
	if err != nil {
		return done(c, err, "")
	}
	s.setNewLinkCookie(c, s.cfg.PublicURL()+"/s/"+token+"/", 300)
	return done(c, nil, "share_link")
}

func (s *Server) doShareLinkRevoke(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.FormValue("id"), 10, 64)
	if err != nil {
		return done(c, errors.Join(repo.ErrNotFound, err), "")
	}
	return done(c, s.repo.Shares.RevokeShare(c.UserContext(), principal(c), id), "share_link_revoked")
}

// byline says who made a change: the account's login, or the name a
// drop-box visitor gave (« Jeanne (lien de dépôt) »).
func byline(l *Locale, login string, dropped bool, sender string, mailFrom ...string) string {
	switch {
	case login == "" && len(mailFrom) > 0 && mailFrom[0] != "":
		return l.T("intake.received_from", "Sender", mailFrom[0])
	case login != "" || !dropped:
		return login
	case sender != "":
		return l.T("share.dropped_by", "Name", sender)
	}
	return l.T("share.dropped_anon")
}

// marks are the small icons after a name in a listing, each with its
// words for screen readers and as a tooltip: restricted, public, shared by
// link, and a way to the share panel for those who manage the node.
// grantRoles are the folder roles the share panel offers, each with its
// role.ROLE name and share.role_help.ROLE words.
var grantRoles = []string{"viewer", "editor", "manager"}

func (v *views) marks(l *Locale, n repo.Node, all map[int64]repo.Marks) template.HTML {
	m := all[n.ID]
	var b strings.Builder
	// label is already in words: l.T with a literal id at each call, so
	// the catalogue test sees every id.
	add := func(icon, label string) {
		label = template.HTMLEscapeString(label)
		fmt.Fprintf(&b, `<span class="mark" title="%s">%s<span class="vh">%s</span></span>`, label, v.icon(icon), label)
	}
	if n.Restricted {
		add("i-lock", l.T("mark.restricted"))
	}
	if m.Public {
		add("i-globe", l.T("mark.public"))
	}
	if m.Linked {
		add("i-link", l.T("mark.linked"))
	}
	if n.Role >= acl.Manager {
		label := template.HTMLEscapeString(l.T("share.open_named", "Name", n.Name))
		fmt.Fprintf(&b, `<a class="mark-share" href="/share/%s" title="%s" aria-label="%s">%s</a>`,
			template.HTMLEscapeString(escapePath(n.Path)), label, label, v.icon("i-share"))
	}
	if b.Len() == 0 {
		return ""
	}
	return template.HTML(`<span class="marks">` + b.String() + `</span>`)
}

// askWhy fills the panel's « why can this person see it? » answer. An
// unknown login is said plainly, like any other answer.
func (s *Server) askWhy(c *fiber.Ctx, d *sharePanelData, login string, l *Locale) error {
	ctx := c.UserContext()
	p, u, err := s.auth.PrincipalOf(ctx, login)
	if errors.Is(err, auth.ErrNoUser) {
		d.Asked = &askedWhy{Login: login, Ex: repo.Explanation{Path: d.Node.Path}}
		return nil
	}
	if err != nil {
		return err
	}
	ex, err := s.repo.Access.Explain(ctx, principal(c), p, d.Node.Path)
	if err != nil {
		return err
	}
	d.Asked = &askedWhy{Login: u.Login, Disabled: u.Disabled, Ex: ex, Because: grantRows(ex.Because, l)}
	return nil
}
