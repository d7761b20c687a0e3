package web

import (
	"errors"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	notice "notreasso/internal/mail"
)

// « Administration → E-mails »: the relay's settings (saved in the
// database, under the keys the configuration file or environment set,
// shown locked), the test message, the queue. The password is never sent
// back: the page says whether one is saved, and offers to replace or clear it.

type adminMailData struct {
	Relay   notice.RelayView
	Stats   notice.Stats
	Recent  []notice.Entry
	MyEmail string
	// Securities are the choices of the security field.
	Securities []string
}

// Lock says where the configuration set field ("" when the page may
// change it).
func (d adminMailData) Lock(field string) string { return d.Relay.Locked[field] }

// adminMailPage shows the relay settings, the queue and the test form.
func (s *Server) adminMailPage(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	ctx := c.UserContext()
	d := adminMailData{Securities: notice.Securities}
	var err error
	if d.Relay, err = s.mail.Relay.View(ctx); err != nil {
		return err
	}
	if d.Stats, err = s.mail.Outbox.Stats(ctx); err != nil {
		return err
	}
	if d.Recent, err = s.mail.Outbox.Recent(ctx, 30); err != nil {
		return err
	}
	me, err := s.auth.UserByID(ctx, principal(c).UserID)
	if err != nil {
		return err
	}
	d.MyEmail = me.Email
	pg := s.newPage(c, "admin")
	pg.Title = pg.L.T("mailadm.title")
	pg.Data = d
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.render(c, fiber.StatusOK, "admin_mail", pg)
}

// adminMailRelayForm saves the relay. Not with an administrator's app
// password: that authenticates a device, and the relay's login is a
// secret of the association.
func (s *Server) adminMailRelayForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	if err := refuseAppPassword(c); err != nil {
		return err
	}
	port, err := strconv.Atoi(strings.TrimSpace(c.FormValue("port")))
	if err != nil {
		port = 0 // refused by Save, which names the field
	}
	ch := notice.RelayChange{
		RelaySettings: notice.RelaySettings{Host: c.FormValue("host"), Port: port, Security: c.FormValue("security"),
			Username: c.FormValue("username"), From: c.FormValue("from")},
		Password:      c.FormValue("password"),
		ClearPassword: c.FormValue("clear_password") != "",
	}
	ctx := c.UserContext()
	if err := s.mail.Relay.Save(ctx, principal(c).UserID, time.Now(), ch); err != nil {
		if errors.Is(err, notice.ErrBadRelay) {
			s.log.Info("mail relay settings refused", "err", err)
			return redirectMsg(c, "/admin/mail", "err", "mail_relay_bad")
		}
		return doneTo(c, "/admin/mail", err, "")
	}
	s.log.Info("mail relay settings saved", "by", principal(c).Login)
	s.mail.Sender.Resume() // the new settings may be the fix: try at once
	return redirectMsg(c, "/admin/mail", "ok", "mail_relay_saved")
}

// adminMailTestForm checks the relay at once (connection, encryption,
// login) and, when it answers, queues a test message. A failure is said
// in plain words on the page; the relay's own words go to the log.
func (s *Server) adminMailTestForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	to := strings.TrimSpace(c.FormValue("to"))
	if a, err := mail.ParseAddress(to); err != nil || a.Address != to {
		return redirectMsg(c, "/admin/mail", "err", "bad_email")
	}
	ctx := c.UserContext()
	if err := s.mail.Relay.Probe(ctx); err != nil {
		s.log.Warn("mail relay test failed", "err", err)
		return redirectMsg(c, "/admin/mail", "err", "mail_fail_"+notice.Explain(err))
	}
	me, _ := s.auth.UserByID(ctx, principal(c).UserID)
	err := s.mail.Mailer.Notify(ctx, notice.Recipient{Email: to, Lang: pickLanguage(c).String(), Name: me.DisplayName, Login: me.Login},
		notice.Test{By: s.actorName(ctx, principal(c))})
	return doneTo(c, "/admin/mail", err, "mail_test_queued")
}
