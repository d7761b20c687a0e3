package web

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/intake"
	"notreasso/internal/repo"
)

// « Courriels entrants »: the mailboxes the server watches, their rules and
// what they did. Administrators only; every form redirects.

func (s *Server) intakeUIRoutes(page, post func(string, fiber.Handler)) {
	page("/admin/intake", s.intakePage)
	page("/admin/intake/:id", s.intakeAccountPage)
	post("/do/admin/intake", s.intakeSaveForm)
	post("/do/admin/intake/:id/rules", s.intakeRuleForm)
	post("/do/admin/intake/:id/poll", s.intakePollForm)
	post("/do/admin/intake/:id/delete", s.intakeDeleteForm)
}

func intakeURL(id int64) string { return "/admin/intake/" + strconv.FormatInt(id, 10) }

// intakeRow is an account with its last problem in words.
type intakeRow struct {
	repo.IntakeAccount
	Problem string
}

func (s *Server) intakePage(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	list, err := s.repo.Intake.Accounts(c.UserContext(), principal(c))
	if err != nil {
		return err
	}
	pg := s.newPage(c, "admin")
	pg.Title = pg.L.T("intake.title")
	rows := make([]intakeRow, len(list))
	for i, a := range list {
		rows[i] = intakeRow{a, intakeProblem(pg.L, a.Status.LastError)}
	}
	pg.Data = struct {
		Accounts []intakeRow
		A        repo.IntakeAccount
		Fallback string
	}{rows, repo.IntakeAccount{Port: 993, Security: "tls", Mailbox: "INBOX", Processed: "flag", Quarantine: repo.DefaultQuarantine, Enabled: true}, intake.FallbackRule.Folder}
	return s.render(c, fiber.StatusOK, "intake", pg)
}

// intakeMessageRow is a handled message as the account page lists it.
type intakeMessageRow struct {
	repo.IntakeMessage
	StateLabel string
	Problems   []string
}

type intakeErrorRow struct {
	repo.IntakeError
	Text string
}

func (s *Server) intakeAccountPage(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	id, err := intakeID(c)
	if err != nil {
		return err
	}
	d, err := s.intakeDetail(c, id)
	if err != nil {
		return err
	}
	pg := s.newPage(c, "admin")
	pg.Title = d.Name
	msgs := make([]intakeMessageRow, len(d.Messages))
	for i, m := range d.Messages {
		msgs[i] = intakeMessageRow{IntakeMessage: m, StateLabel: intakeState(pg.L, m.State)}
		for _, line := range strings.Split(m.Detail, "\n") {
			if line != "" {
				msgs[i].Problems = append(msgs[i].Problems, intakeProblem(pg.L, line))
			}
		}
	}
	errs := make([]intakeErrorRow, len(d.Errors))
	for i, e := range d.Errors {
		errs[i] = intakeErrorRow{e, intakeProblem(pg.L, e.Reason)}
	}
	pg.Data = struct {
		A        repo.IntakeAccount
		Problem  string
		Rules    []repo.IntakeRule
		Messages []intakeMessageRow
		Errors   []intakeErrorRow
		Fallback string
	}{d.IntakeAccount, intakeProblem(pg.L, d.Status.LastError), d.Rules, msgs, errs, intake.FallbackRule.Folder}
	return s.render(c, fiber.StatusOK, "intake_account", pg)
}

// intakeState names a message's state.
func intakeState(l *Locale, state string) string {
	switch state {
	case repo.IntakeImported:
		return l.T("intake.state_imported")
	case repo.IntakeQuarantined:
		return l.T("intake.state_quarantined")
	case repo.IntakeRefused:
		return l.T("intake.state_refused")
	}
	return state
}

// intakeProblem puts a stored reason into words.
func intakeProblem(l *Locale, reason string) string {
	if reason == "" {
		return ""
	}
	p := intake.ParseProblem(reason)
	switch p.Code {
	case "too_large":
		return l.T("intake.p_too_large", "Name", p.Name, "Limit", l.Size(p.Limit))
	case "bad_name":
		return l.T("intake.p_bad_name", "Name", p.Name)
	case "unreadable":
		return l.T("intake.p_unreadable", "Detail", p.Detail)
	case "connect":
		return l.T("intake.p_connect", "Detail", p.Detail)
	}
	return p.Detail
}

// intakeSaveForm creates an account (id 0) or changes its settings; the
// rules are kept (they have their own form).
func (s *Server) intakeSaveForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	ctx, p := c.UserContext(), principal(c)
	id, _ := strconv.ParseInt(c.FormValue("id"), 10, 64)
	var a repo.IntakeAccount
	if id > 0 {
		old, err := s.repo.Intake.Account(ctx, p, id)
		if err != nil {
			return err
		}
		a.ID, a.Rules = old.ID, old.Rules
	}
	port, _ := strconv.Atoi(c.FormValue("port"))
	a.Name, a.Host, a.Port, a.Security = c.FormValue("name"), c.FormValue("host"), port, c.FormValue("security")
	a.Login, a.Password, a.PasswordFile, a.PasswordEnv = c.FormValue("login"), c.FormValue("password"), strings.TrimSpace(c.FormValue("password_file")), strings.TrimSpace(c.FormValue("password_env"))
	a.Mailbox, a.Processed, a.ProcessedMailbox = c.FormValue("mailbox"), c.FormValue("processed"), c.FormValue("processed_mailbox")
	a.Allow, a.Quarantine, a.Enabled = []string{c.FormValue("allow")}, c.FormValue("quarantine"), c.FormValue("enabled") != ""
	back := "/admin/intake"
	if id > 0 {
		back = intakeURL(id)
	}
	saved, err := s.repo.Intake.SaveAccount(ctx, p, a)
	switch {
	case errors.Is(err, repo.ErrExists):
		return c.Redirect(back+"?err=intake_exists", fiber.StatusSeeOther)
	case errors.Is(err, repo.ErrInvalid), errors.Is(err, repo.ErrInvalidName):
		return c.Redirect(back+"?err=intake_invalid", fiber.StatusSeeOther)
	case err != nil:
		return err
	}
	s.wakeIntake(saved.ID)
	return c.Redirect(intakeURL(saved.ID)+"?ok=intake_saved", fiber.StatusSeeOther)
}

// intakeRuleForm adds a rule (op=add) or moves or removes rule n.
func (s *Server) intakeRuleForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	id, err := intakeID(c)
	if err != nil {
		return err
	}
	ctx, p := c.UserContext(), principal(c)
	a, err := s.repo.Intake.Account(ctx, p, id)
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(c.FormValue("n"))
	valid := n >= 0 && n < len(a.Rules)
	switch op := c.FormValue("op"); {
	case op == "add":
		var tags []string
		for t := range strings.SplitSeq(c.FormValue("tags"), ",") {
			if t = strings.TrimSpace(t); t != "" {
				tags = append(tags, t)
			}
		}
		r := repo.IntakeRule{Match: c.FormValue("match"), Value: c.FormValue("value"), Folder: c.FormValue("folder"), Tags: tags,
			KeepMail: c.FormValue("keep_mail") != "", KeepAttachments: c.FormValue("keep_attachments") != ""}
		a.Rules = append(a.Rules, r)
	case op == "delete" && valid:
		a.Rules = append(a.Rules[:n], a.Rules[n+1:]...)
	case op == "up" && valid && n > 0:
		a.Rules[n-1], a.Rules[n] = a.Rules[n], a.Rules[n-1]
	case op == "down" && valid && n < len(a.Rules)-1:
		a.Rules[n+1], a.Rules[n] = a.Rules[n], a.Rules[n+1]
	default:
		return c.Redirect(intakeURL(id)+"?err=intake_invalid", fiber.StatusSeeOther)
	}
	a.Password = "" // keep the saved one
	if _, err := s.repo.Intake.SaveAccount(ctx, p, a); err != nil {
		if errors.Is(err, repo.ErrInvalid) || errors.Is(err, repo.ErrInvalidName) {
			return c.Redirect(intakeURL(id)+"?err=intake_rule_invalid#rules", fiber.StatusSeeOther)
		}
		return err
	}
	s.wakeIntake(id)
	return c.Redirect(intakeURL(id)+"?ok=intake_rules_saved#rules", fiber.StatusSeeOther)
}

func (s *Server) intakePollForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	id, err := intakeID(c)
	if err != nil {
		return err
	}
	if _, err := s.repo.Intake.Account(c.UserContext(), principal(c), id); err != nil {
		return err
	}
	s.wakeIntake(id)
	return c.Redirect(intakeURL(id)+"?ok=intake_polling", fiber.StatusSeeOther)
}

func (s *Server) intakeDeleteForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	id, err := intakeID(c)
	if err != nil {
		return err
	}
	if err := s.repo.Intake.DeleteAccount(c.UserContext(), principal(c), id); err != nil {
		return err
	}
	s.wakeIntake(id)
	return c.Redirect("/admin/intake?ok=intake_deleted", fiber.StatusSeeOther)
}

// intakeStatusView is what the "intakestatus" template shows.
type intakeStatusView struct {
	L       *Locale
	S       repo.IntakeStatus
	Problem string
}

func intakeStatusOf(l *Locale, s repo.IntakeStatus, problem string) intakeStatusView {
	return intakeStatusView{l, s, problem}
}
