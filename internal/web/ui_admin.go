package web

import (
	"errors"
	"net/mail"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
	notice "notreasso/internal/mail"
	"notreasso/internal/pwhash"
)

// The administration pages: accounts here; groups (ui_groups.go), the
// audit log (ui_audit.go) and retention (ui_retention.go) beside.

// adminOnly refuses anyone but an administrator. An anonymous visitor
// gets an error too (the error handler sends a page request to the login
// page): a redirect set here with a nil error let the handler go on and
// render the page over it.
func (s *Server) adminOnly(c *fiber.Ctx) error {
	p := principal(c)
	if p.Anonymous() {
		return errUnauthenticated
	}
	if !p.IsAdmin() {
		return acl.ErrForbidden
	}
	return nil
}

// uiAdminRoutes registers the administration and account pages of this
// file and its neighbours.
func (s *Server) uiAdminRoutes(page, post func(string, fiber.Handler)) {
	page("/admin/users/:login", s.adminUserPage)
	post("/do/admin/users/:login", s.adminUpdateUserForm)
	post("/do/admin/users/:login/reset", s.adminResetLinkForm)
	post("/do/admin/users/:login/devices", s.adminDevicesForm)
	post("/do/profile", s.profileForm)
	post("/do/admin/users/:login/app-passwords/:id/revoke", s.adminRevokeAppPasswordForm)
	page("/reset/:token", s.resetPage)
	post("/reset/:token", s.resetForm)

	page("/admin/groups", s.groupsPage)
	page("/admin/groups/:name", s.groupPage)
	post("/do/admin/groups", s.createGroupForm)
	post("/do/admin/groups/rename", s.renameGroupForm)
	post("/do/admin/groups/delete", s.deleteGroupForm)
	post("/do/admin/groups/members", s.groupMemberForm)
	post("/do/admin/groups/grants", s.groupGrantForm)

	post("/do/app-passwords", s.createAppPasswordForm)
	post("/do/app-passwords/revoke", s.revokeAppPasswordForm)

	page("/admin/audit", s.auditPage)

	page("/retention", s.retentionPage)
	page("/retention/*", s.retentionPage)
	post("/do/retention", s.setRetentionForm)
	post("/do/trash/purge", s.purgeTrashForm)
	post("/do/trash/empty", s.emptyTrashForm)
	s.intakeUIRoutes(page, post)
}

// accountRow is an account as the list shows it.
type accountRow struct {
	auth.User
	Groups []string
}

func (s *Server) adminPage(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	ctx := c.UserContext()
	users, err := s.auth.Users(ctx)
	if err != nil {
		return err
	}
	groups, err := s.auth.Groups(ctx)
	if err != nil {
		return err
	}
	of := map[string][]string{}
	for _, g := range groups {
		for _, m := range g.Members {
			of[m] = append(of[m], g.Name)
		}
	}
	rows := make([]accountRow, len(users))
	for i, u := range users {
		rows[i] = accountRow{u, of[u.Login]}
	}
	pg := s.newPage(c, "admin")
	pg.Title = pg.L.T("admin.title")
	pg.Data = struct {
		Users  []accountRow
		Self   string
		Groups int
	}{rows, principal(c).Login, len(groups)}
	return s.render(c, fiber.StatusOK, "admin", pg)
}

// userURL is the account's admin page.
func userURL(login string) string { return "/admin/users/" + url.PathEscape(login) }

// adminCreateUserForm creates an account. Without a password, the account
// gets a random one nobody knows and the administrator a one-time link to
// hand over, so that the person chooses their own.
func (s *Server) adminCreateUserForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	ctx := c.UserContext()
	login, pw := strings.TrimSpace(c.FormValue("login")), c.FormValue("password")
	invite := pw == ""
	if invite {
		pw = pwhash.Random()
	}
	_, err := s.auth.CreateAccount(ctx, principal(c).UserID, auth.NewUser{Login: login, Password: pw,
		Role: acl.UserRole(c.FormValue("role")), DisplayName: c.FormValue("display_name"), Email: c.FormValue("email")})
	switch {
	case errors.Is(err, auth.ErrUserExists):
		return back(c, "err", "user_exists")
	case errors.Is(err, auth.ErrInvalid):
		return back(c, "err", "user_invalid")
	case err != nil:
		return err
	case !invite:
		return back(c, "ok", "user_created")
	}
	token, exp, err := s.auth.CreateResetLink(ctx, principal(c).UserID, login, auth.ResetLinkTTL)
	if err != nil {
		return err
	}
	if err := s.keepOnce(c, "reset:"+login, token); err != nil {
		return err
	}
	if u, err := s.auth.UserByLogin(ctx, login); err == nil && u.Email != "" && s.mailReady(c.UserContext()) {
		// The invitation goes by e-mail; the link is shown too, once, in
		// case the address is wrong or the mail is slow.
		err := s.mail.Mailer.Notify(ctx, recipient(u), notice.Invitation{By: s.actorName(ctx, principal(c)), Login: login, Token: token, Expires: exp})
		if err != nil {
			return err
		}
		return c.Redirect(userURL(login)+"?ok=user_invited_mail#reset", fiber.StatusSeeOther)
	}
	return c.Redirect(userURL(login)+"?ok=user_invited#reset", fiber.StatusSeeOther)
}

func (s *Server) adminDisableUser(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	login := c.FormValue("login")
	if login == principal(c).Login {
		return back(c, "err", "self_disable")
	}
	disable := c.FormValue("disable") != ""
	err := s.auth.SetDisabled(c.UserContext(), principal(c).UserID, login, disable)
	if errors.Is(err, auth.ErrLastAdmin) {
		return back(c, "err", "last_admin")
	}
	if disable {
		return done(c, err, "user_disabled")
	}
	return done(c, err, "user_enabled")
}

type adminUserData struct {
	U            auth.User
	Groups       []string
	Self         bool
	AppPasswords []auth.AppPassword
	ResetURL     string // a link just made: shown once
	Pending      auth.ResetLink
	HasPending   bool
	TTLHours     int
}

func (s *Server) adminUserPage(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	ctx := c.UserContext()
	u, err := s.auth.UserByLogin(ctx, loginParam(c))
	if err != nil {
		return err
	}
	d := adminUserData{U: u, Self: u.ID == principal(c).UserID, TTLHours: int(auth.ResetLinkTTL.Hours())}
	if d.Groups, err = s.auth.GroupsOf(ctx, u.ID); err != nil {
		return err
	}
	if d.AppPasswords, err = s.auth.AppPasswords(ctx, u.ID); err != nil {
		return err
	}
	if d.Pending, d.HasPending, err = s.auth.PendingResetLink(ctx, u.ID); err != nil {
		return err
	}
	token, err := s.takeOnce(c, "reset:"+u.Login)
	if err != nil {
		return err
	}
	if token != "" {
		d.ResetURL = s.cfg.PublicURL() + "/reset/" + token
	}
	pg := s.newPage(c, "admin")
	pg.Title = u.Login
	pg.Data = d
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.render(c, fiber.StatusOK, "admin_user", pg)
}

// adminUpdateUserForm saves an account's profile, role and status.
func (s *Server) adminUpdateUserForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	login := loginParam(c)
	display, email := c.FormValue("display_name"), c.FormValue("email")
	ch := auth.UserChanges{DisplayName: &display, Email: &email}
	if r := c.FormValue("role"); r != "" {
		role := acl.UserRole(r)
		ch.Role = &role
	}
	if st := c.FormValue("status"); st != "" {
		if login == principal(c).Login && st == "disabled" {
			return back(c, "err", "self_disable")
		}
		disabled := st == "disabled"
		ch.Disabled = &disabled
	}
	if e := strings.TrimSpace(email); e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			return back(c, "err", "bad_email")
		}
	}
	_, err := s.auth.UpdateUser(c.UserContext(), principal(c).UserID, login, ch)
	if errors.Is(err, auth.ErrLastAdmin) {
		return back(c, "err", "last_admin")
	}
	return done(c, err, "user_saved")
}

func (s *Server) adminResetLinkForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	login, ctx := loginParam(c), c.UserContext()
	token, exp, err := s.auth.CreateResetLink(ctx, principal(c).UserID, login, auth.ResetLinkTTL)
	if err != nil {
		return err
	}
	if c.FormValue("mail") != "" {
		u, err := s.auth.UserByLogin(ctx, login)
		if err != nil {
			return err
		}
		if u.Email == "" || !s.mailReady(c.UserContext()) {
			return redirectMsg(c, userURL(login), "err", "no_email")
		}
		if err := s.mail.Mailer.Notify(ctx, recipient(u), notice.PasswordReset{Login: login, Token: token, Expires: exp}); err != nil {
			return err
		}
		return c.Redirect(userURL(login)+"?ok=reset_mailed#reset", fiber.StatusSeeOther)
	}
	if err := s.keepOnce(c, "reset:"+login, token); err != nil {
		return err
	}
	return c.Redirect(userURL(login)+"?ok=reset_link#reset", fiber.StatusSeeOther)
}

func (s *Server) adminRevokeAppPasswordForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	u, err := s.auth.UserByLogin(c.UserContext(), loginParam(c))
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return auth.ErrNoAppPassword
	}
	err = s.auth.RevokeAppPassword(c.UserContext(), principal(c).UserID, u.ID, id)
	return done(c, err, "app_password_revoked")
}

// resetPage is where a person reached by a reset link chooses a password.
// It works without a session; a logged-in visitor sees it too (the link
// may be for someone else on a shared computer).
func (s *Server) resetPage(c *fiber.Ctx) error {
	u, err := s.auth.ResetLinkUser(c.UserContext(), c.Params("token"))
	return s.renderReset(c, u, err)
}

func (s *Server) renderReset(c *fiber.Ctx, u auth.User, err error) error {
	status := fiber.StatusOK
	if errors.Is(err, auth.ErrResetLink) {
		status = fiber.StatusGone
	} else if err != nil {
		return err
	}
	pg := s.newPage(c, "login")
	pg.Title = pg.L.T("reset.title")
	pg.Data = struct {
		Valid bool
		Login string
		Token string
	}{status == fiber.StatusOK, u.Login, c.Params("token")}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.render(c, status, "reset", pg)
}

func (s *Server) resetForm(c *fiber.Ctx) error {
	token, pw := c.Params("token"), c.FormValue("new")
	here := "/reset/" + url.PathEscape(token)
	if pw != c.FormValue("again") {
		return c.Redirect(here+"?err=password_mismatch", fiber.StatusSeeOther)
	}
	_, err := s.auth.UseResetLink(c.UserContext(), token, pw)
	switch {
	case errors.Is(err, auth.ErrInvalid):
		return c.Redirect(here+"?err=password_short", fiber.StatusSeeOther)
	case errors.Is(err, auth.ErrResetLink):
		return s.renderReset(c, auth.User{}, err)
	case err != nil:
		return err
	}
	// Whoever was logged in in this browser is not the person who just
	// chose a password: start from the login page.
	if sess, err := s.sessions.Get(c); err == nil && !principal(c).Anonymous() {
		sess.Destroy()
	}
	return c.Redirect("/login?ok=password_set", fiber.StatusSeeOther)
}

// adminDevicesForm ends every browser session of the account (a lost
// phone), or sets whether its network drives and programs must use app
// passwords rather than the account password.
func (s *Server) adminDevicesForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	login, ctx, actor := loginParam(c), c.UserContext(), principal(c).UserID
	to := userURL(login)
	if c.FormValue("logout") != "" {
		return doneTo(c, to, s.auth.LogoutEverywhere(ctx, actor, login), "logged_out")
	}
	only := c.FormValue("app_passwords_only") != ""
	_, err := s.auth.UpdateUser(ctx, actor, login, auth.UserChanges{AppPasswordsOnly: &only})
	return doneTo(c, to, err, "user_saved")
}

// profileForm saves the caller's own display name and e-mail address.
func (s *Server) profileForm(c *fiber.Ctx) error {
	p := principal(c)
	if p.Anonymous() {
		return loginRedirect(c)
	}
	display, email := c.FormValue("display_name"), strings.TrimSpace(c.FormValue("email"))
	if email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
			return redirectMsg(c, "/account", "err", "bad_email")
		}
	}
	u, err := s.auth.UserByID(c.UserContext(), p.UserID)
	if err != nil {
		return err
	}
	confirm, err := s.changeOwnEmail(c, u, email)
	if err != nil {
		return doneTo(c, "/account", err, "")
	}
	ch := auth.UserChanges{DisplayName: &display, Email: &email}
	if confirm {
		ch.Email = nil // changed when the link sent to it is opened
	}
	_, err = s.auth.UpdateUser(c.UserContext(), p.UserID, p.Login, ch)
	if confirm && err == nil {
		return redirectMsg(c, "/account", "ok", "email_confirm_sent")
	}
	return doneTo(c, "/account", err, "profile_saved")
}
