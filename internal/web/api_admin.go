package web

import (
	"fmt"
	"net/url"
	"notreasso/internal/pwhash"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
	notice "notreasso/internal/mail"
	"notreasso/internal/repo"
)

// The administration API: accounts, groups and the audit journal. Every
// change is journalled by auth with the acting administrator.
func (s *Server) adminRoutes(api fiber.Router) {
	adm := api.Group("/admin", requireAdmin)
	adm.Get("/users", s.adminUsers)
	adm.Post("/users", s.adminCreateUser)
	adm.Get("/users/:login", s.adminUser)
	adm.Patch("/users/:login", s.adminUpdateUser)
	adm.Post("/users/:login/logout-everywhere", s.adminLogoutEverywhere)
	adm.Get("/users/:login/app-passwords", s.adminAppPasswords)
	adm.Delete("/users/:login/app-passwords/:id", s.adminRevokeAppPassword)
	adm.Get("/groups", s.adminGroups)
	adm.Post("/groups", s.adminCreateGroup)
	adm.Get("/groups/:name", s.adminGroup)
	adm.Patch("/groups/:name", s.adminRenameGroup)
	adm.Delete("/groups/:name", s.adminDeleteGroup)
	adm.Put("/groups/:name/members/:login", s.adminAddMember)
	adm.Delete("/groups/:name/members/:login", s.adminRemoveMember)
	adm.Get("/audit", s.adminAudit)
	s.intakeAPIRoutes(adm)
}

func requireAdmin(c *fiber.Ctx) error {
	if err := requireUser(c); err != nil {
		return err
	}
	if !principal(c).IsAdmin() {
		return fmt.Errorf("administrators only: %w", acl.ErrForbidden)
	}
	return c.Next()
}

// param is a URL parameter, percent-decoded (group names have spaces).
func param(c *fiber.Ctx, name string) (string, error) {
	v, err := url.PathUnescape(c.Params(name))
	if err != nil {
		return "", fmt.Errorf("%w: bad %s encoding", errBadRequest, name)
	}
	return v, nil
}

func actor(c *fiber.Ctx) int64 { return principal(c).UserID }

type userJSON struct {
	Login            string       `json:"login"`
	DisplayName      string       `json:"display_name"`
	Email            string       `json:"email"`
	Role             acl.UserRole `json:"role"`
	Lang             string       `json:"lang"`
	Disabled         bool         `json:"disabled"`
	AppPasswordsOnly bool         `json:"app_passwords_only"`
	Created          time.Time    `json:"created"`
	Groups           []string     `json:"groups"`
}

func toUserJSON(u auth.User, groups []string) userJSON {
	if groups == nil {
		groups = []string{}
	}
	return userJSON{u.Login, u.DisplayName, u.Email, u.Role, u.Lang, u.Disabled, u.AppPasswordsOnly, u.CreatedAt, groups}
}

func (s *Server) adminUsers(c *fiber.Ctx) error {
	users, err := s.auth.Users(c.UserContext())
	if err != nil {
		return err
	}
	groups, err := s.auth.Groups(c.UserContext())
	if err != nil {
		return err
	}
	of := map[string][]string{}
	for _, g := range groups {
		for _, m := range g.Members {
			of[m] = append(of[m], g.Name)
		}
	}
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = toUserJSON(u, of[u.Login])
	}
	return c.JSON(fiber.Map{"users": out})
}

func (s *Server) userAnswer(c *fiber.Ctx, u auth.User) error {
	groups, err := s.auth.GroupsOf(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	return c.JSON(toUserJSON(u, groups))
}

func (s *Server) adminUser(c *fiber.Ctx) error {
	u, err := s.auth.UserByLogin(c.UserContext(), loginParam(c))
	if err != nil {
		return err
	}
	return s.userAnswer(c, u)
}

// adminCreateUser creates an account; without a password in the request,
// one is generated and answered once.
func (s *Server) adminCreateUser(c *fiber.Ctx) error {
	// A new account is a new way in, with a password the caller knows:
	// not with an administrator's app password (a device's secret).
	if err := refuseAppPassword(c); err != nil {
		return err
	}
	var req struct {
		Login       string       `json:"login"`
		Password    string       `json:"password"`
		Role        acl.UserRole `json:"role"`
		DisplayName string       `json:"display_name"`
		Email       string       `json:"email"`
		Lang        string       `json:"lang"`
		// Invite mails the person a link to choose their password (with
		// an e-mail address, no password and a configured relay).
		Invite bool `json:"invite"`
	}
	if err := readJSON(c, &req); err != nil {
		return err
	}
	if req.Invite && (req.Password != "" || req.Email == "" || !s.mailReady(c.UserContext())) {
		return fmt.Errorf("%w: an invitation needs an e-mail address, no password, and a configured mail relay", errBadRequest)
	}
	generated := req.Password == ""
	if generated {
		req.Password = pwhash.Random()
	}
	if req.Role == "" {
		req.Role = acl.Member
	}
	u, err := s.auth.CreateAccount(c.UserContext(), actor(c), auth.NewUser{Login: req.Login, Password: req.Password,
		Role: req.Role, DisplayName: req.DisplayName, Email: req.Email, Lang: req.Lang})
	if err != nil {
		return err
	}
	out := fiber.Map{"user": toUserJSON(u, nil)}
	if req.Invite {
		ctx := c.UserContext()
		token, exp, err := s.auth.CreateResetLink(ctx, actor(c), u.Login, auth.ResetLinkTTL)
		if err != nil {
			return err
		}
		if err := s.mail.Mailer.Notify(ctx, recipient(u), notice.Invitation{By: s.actorName(ctx, principal(c)), Login: u.Login, Token: token, Expires: exp}); err != nil {
			return err
		}
		out["invited"] = true
		return c.Status(fiber.StatusCreated).JSON(out) // the random password stays unknown
	}
	if generated {
		out["password"] = req.Password
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (s *Server) adminUpdateUser(c *fiber.Ctx) error {
	var req struct {
		DisplayName      *string       `json:"display_name"`
		Email            *string       `json:"email"`
		Lang             *string       `json:"lang"`
		Role             *acl.UserRole `json:"role"`
		Disabled         *bool         `json:"disabled"`
		AppPasswordsOnly *bool         `json:"app_passwords_only"`
		Password         *string       `json:"password"`
	}
	if err := readJSON(c, &req); err != nil {
		return err
	}
	login := loginParam(c)
	if req.Password != nil || req.Email != nil || req.Role != nil || req.Disabled != nil {
		// A password or an e-mail address opens an account, a role or
		// re-enabling widens one: not with an administrator's app password.
		if err := refuseAppPassword(c); err != nil {
			return err
		}
	}
	if req.Password != nil && len(*req.Password) < 8 {
		return fmt.Errorf("%w: a password has at least 8 characters", auth.ErrInvalid)
	}
	u, err := s.auth.UpdateUser(c.UserContext(), actor(c), login, auth.UserChanges{DisplayName: req.DisplayName, Email: req.Email,
		Lang: req.Lang, Role: req.Role, Disabled: req.Disabled, AppPasswordsOnly: req.AppPasswordsOnly})
	if err != nil {
		return err
	}
	if req.Password != nil {
		if err := s.auth.SetPassword(c.UserContext(), actor(c), login, *req.Password); err != nil {
			return err
		}
	}
	return s.userAnswer(c, u)
}

func (s *Server) adminLogoutEverywhere(c *fiber.Ctx) error {
	if err := s.auth.LogoutEverywhere(c.UserContext(), actor(c), loginParam(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) adminAppPasswords(c *fiber.Ctx) error {
	u, err := s.auth.UserByLogin(c.UserContext(), loginParam(c))
	if err != nil {
		return err
	}
	return s.appPasswordList(c, u.ID)
}

func (s *Server) adminRevokeAppPassword(c *fiber.Ctx) error {
	u, err := s.auth.UserByLogin(c.UserContext(), loginParam(c))
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return auth.ErrNoAppPassword
	}
	if err := s.auth.RevokeAppPassword(c.UserContext(), actor(c), u.ID, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type groupJSON struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	Members []string  `json:"members"`
}

func (s *Server) adminGroups(c *fiber.Ctx) error {
	gs, err := s.auth.Groups(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]groupJSON, len(gs))
	for i, g := range gs {
		out[i] = groupJSON{g.Name, g.CreatedAt, g.Members}
	}
	return c.JSON(fiber.Map{"groups": out})
}

func (s *Server) groupAnswer(c *fiber.Ctx, status int, name string) error {
	g, err := s.auth.GroupByName(c.UserContext(), name)
	if err != nil {
		return err
	}
	return c.Status(status).JSON(groupJSON{g.Name, g.CreatedAt, g.Members})
}

func (s *Server) adminGroup(c *fiber.Ctx) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	return s.groupAnswer(c, fiber.StatusOK, name)
}

func (s *Server) adminCreateGroup(c *fiber.Ctx) error {
	var req struct {
		Name string `json:"name"`
	}
	if err := readJSON(c, &req); err != nil {
		return err
	}
	g, err := s.auth.CreateGroup(c.UserContext(), actor(c), req.Name)
	if err != nil {
		return err
	}
	return s.groupAnswer(c, fiber.StatusCreated, g.Name)
}

func (s *Server) adminRenameGroup(c *fiber.Ctx) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	var req struct {
		Name string `json:"name"`
	}
	if err := readJSON(c, &req); err != nil {
		return err
	}
	if err := s.auth.RenameGroup(c.UserContext(), actor(c), name, req.Name); err != nil {
		return err
	}
	newName, _ := auth.CleanGroupName(req.Name)
	return s.groupAnswer(c, fiber.StatusOK, newName)
}

func (s *Server) adminDeleteGroup(c *fiber.Ctx) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	if err := s.auth.DeleteGroup(c.UserContext(), actor(c), name); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) adminAddMember(c *fiber.Ctx) error {
	return s.adminMembership(c, true)
}

func (s *Server) adminRemoveMember(c *fiber.Ctx) error {
	return s.adminMembership(c, false)
}

func (s *Server) adminMembership(c *fiber.Ctx, add bool) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	change := s.auth.RemoveMember
	if add {
		change = s.auth.AddMember
	}
	if err := change(c.UserContext(), actor(c), name, loginParam(c)); err != nil {
		return err
	}
	return s.groupAnswer(c, fiber.StatusOK, name)
}

type entryJSON struct {
	Seq     int64          `json:"seq"`
	At      time.Time      `json:"at"`
	Actor   string         `json:"actor"`
	NodeID  int64          `json:"node_id,omitempty"`
	Action  string         `json:"action"`
	Details map[string]any `json:"details"`
}

func toEntriesJSON(es []repo.Entry) []entryJSON {
	out := make([]entryJSON, len(es))
	for i, e := range es {
		out[i] = entryJSON{e.Seq, e.At, e.Actor, e.NodeID, e.Action, e.Details}
	}
	return out
}

// adminAudit pages through the journal, newest first: ?category=accounts
// |grants|shares|files, ?before=SEQ for the next page, ?limit=N.
func (s *Server) adminAudit(c *fiber.Ctx) error {
	q := repo.JournalQuery{Category: c.Query("category")}
	var err error
	if v := c.Query("before"); v != "" {
		if q.Before, err = strconv.ParseInt(v, 10, 64); err != nil {
			return fmt.Errorf("%w: before must be a sequence number", errBadRequest)
		}
	}
	if v := c.Query("limit"); v != "" {
		if q.Limit, err = strconv.Atoi(v); err != nil {
			return fmt.Errorf("%w: limit must be a number", errBadRequest)
		}
	}
	es, err := s.repo.Activity.Journal(c.UserContext(), principal(c), q)
	if err != nil {
		return err
	}
	out := fiber.Map{"entries": toEntriesJSON(es)}
	if len(es) > 0 {
		out["next_before"] = es[len(es)-1].Seq
	}
	return c.JSON(out)
}

// loginParam is the :login URL parameter, percent-decoded ("@" may come
// as %40); a bad encoding matches no account.
func loginParam(c *fiber.Ctx) string {
	v, err := param(c, "login")
	if err != nil {
		return ""
	}
	return v
}
