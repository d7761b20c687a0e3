package intake

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"notreasso/internal/metrics"
	"notreasso/internal/repo"
)

// ProcessedKeyword marks, on the IMAP server, a message the intake has
// handled (accounts whose processed action is "flag").
const ProcessedKeyword = imap.Flag("$NotreAsso")

// session is one connection to an account's server.
type session struct {
	in      *Intake
	acct    repo.IntakeAccount
	c       *imapclient.Client
	newMail chan struct{} // the server announced messages (EXISTS) while idling
	flag    imap.Flag     // what "flag" sets: the keyword, or \Seen if the server keeps no keywords
	idle    bool
}

// password is the account's password: from its file, its environment
// variable, or as saved.
func (in *Intake) password(ctx context.Context, a repo.IntakeAccount) (string, error) {
	switch {
	case a.PasswordFile != "":
		b, err := os.ReadFile(a.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("read the password file of %s: %w", a.Name, err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	case a.PasswordEnv != "":
		pw, ok := os.LookupEnv(a.PasswordEnv)
		if !ok {
			return "", fmt.Errorf("the environment variable %s (password of %s) is not set", a.PasswordEnv, a.Name)
		}
		return pw, nil
	}
	return in.repo.Intake.Password(ctx, sys, a)
}

// dial connects and logs in.
func (in *Intake) dial(ctx context.Context, a repo.IntakeAccount) (*session, error) {
	pw, err := in.password(ctx, a)
	if err != nil {
		return nil, err
	}
	s := &session{in: in, acct: a, newMail: make(chan struct{}, 1)}
	opts := &imapclient.Options{
		Dialer: &net.Dialer{Timeout: 30 * time.Second},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case s.newMail <- struct{}{}:
				default:
				}
			}
		}},
	}
	if in.opts.TLSConfig != nil {
		opts.TLSConfig = in.opts.TLSConfig.Clone()
	}
	addr := net.JoinHostPort(a.Host, strconv.Itoa(a.Port))
	switch a.Security {
	case "tls":
		s.c, err = imapclient.DialTLS(addr, opts)
	case "starttls":
		s.c, err = imapclient.DialStartTLS(addr, opts)
	default:
		s.c, err = imapclient.DialInsecure(addr, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	if err := s.c.Login(a.Login, pw).Wait(); err != nil {
		s.c.Close()
		return nil, fmt.Errorf("log in to %s as %s: %w", addr, a.Login, err)
	}
	s.idle = s.c.Caps().Has(imap.CapIdle)
	return s, nil
}

func (s *session) close() {
	// A polite LOGOUT if the connection still works; Close in any case.
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.c.Logout().Wait()
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	s.c.Close()
}

// round handles every message of the watched mailbox not handled yet.
func (s *session) round(ctx context.Context) error {
	a := s.acct
	sel, err := s.c.Select(a.Mailbox, nil).Wait()
	if err != nil {
		return fmt.Errorf("open the mailbox %s: %w", a.Mailbox, err)
	}
	metrics.IntakePolls.Inc()
	s.flag = ProcessedKeyword
	if !slices.Contains(sel.PermanentFlags, imap.FlagWildcard) && !slices.Contains(sel.PermanentFlags, ProcessedKeyword) {
		s.flag = imap.FlagSeen
	}
	if a.Processed == "move" {
		if err := s.c.Create(a.ProcessedMailbox, nil).Wait(); err != nil && !alreadyExists(err) {
			return fmt.Errorf("create the mailbox %s: %w", a.ProcessedMailbox, err)
		}
	}
	crit := &imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagDeleted}}
	if a.Processed == "flag" {
		crit.NotFlag = append(crit.NotFlag, s.flag)
	}
	data, err := s.c.UIDSearch(crit, nil).Wait()
	if err != nil {
		return fmt.Errorf("list the messages of %s: %w", a.Mailbox, err)
	}
	for _, uid := range data.AllUIDs() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.handle(ctx, sel.UIDValidity, uid); err != nil {
			return err
		}
	}
	return nil
}

func alreadyExists(err error) bool {
	var ie *imap.Error
	return errors.As(err, &ie) && (ie.Code == imap.ResponseCodeAlreadyExists || strings.Contains(strings.ToLower(ie.Text), "exists"))
}

// handle imports one message, exactly once: the ledger is asked first (by
// UID, then by Message-ID), the files are created with their keys, the
// message is recorded, and only then marked on the server. A crash at any
// step leaves a state the next round completes without doubling anything.
func (s *session) handle(ctx context.Context, uidValidity uint32, uid imap.UID) error {
	in, a := s.in, s.acct
	if _, _, ok, err := in.repo.Intake.KnownUID(ctx, sys, a.ID, uidValidity, uint32(uid)); err != nil {
		return err
	} else if ok {
		return s.mark(uid)
	}
	m, err := s.fetch(uid)
	if err != nil || m == nil {
		return err
	}
	defer m.close()
	r, err := m.rewind()
	if err != nil {
		return err
	}
	h, err := readHeader(r)
	if err != nil {
		h = Header{Subject: "(" + err.Error() + ")"}
	}
	key := messageKey(h.MessageID, m.hash)
	rec := repo.IntakeMessage{Key: key, AccountID: a.ID, UIDValidity: uidValidity, UID: uint32(uid), Sender: senderLabel(h), Subject: h.Subject}
	if _, ok, err := in.repo.Intake.KnownMessage(ctx, sys, key); err != nil {
		return err
	} else if ok {
		// The same mail seen before, in another mailbox or account.
		rec.State = repo.IntakeImported
		if err := in.repo.Intake.Record(ctx, sys, rec); err != nil {
			return err
		}
		metrics.IntakeMessages.WithLabelValues("duplicate").Inc()
		return s.mark(uid)
	}
	d := decide(a, h)
	out, err := in.importMessage(ctx, d, h, key, m)
	if err != nil {
		return fmt.Errorf("import « %s »: %w", h.Subject, err)
	}
	rec.Folder, rec.Files = d.rule.Folder, out.files
	switch {
	case d.quarantine:
		rec.State = repo.IntakeQuarantined
	case out.files == 0:
		rec.State = repo.IntakeRefused
	default:
		rec.State = repo.IntakeImported
	}
	var details []string
	for _, p := range out.problems {
		details = append(details, p.String())
	}
	rec.Detail = strings.Join(details, "\n")
	if err := in.repo.Intake.Record(ctx, sys, rec); err != nil {
		return err
	}
	metrics.IntakeMessages.WithLabelValues(rec.State).Inc()
	for _, p := range out.problems {
		if err := in.repo.Intake.ReportStatus(ctx, sys, a.ID, repo.IntakeReport{Error: p.String(), Subject: h.Subject}); err != nil {
			return err
		}
	}
	in.log.Info("mail imported", "account", a.Name, "uid", uid, "state", rec.State, "folder", rec.Folder, "files", rec.Files, "problems", len(out.problems))
	if err := in.crash("record"); err != nil {
		return err
	}
	return s.mark(uid)
}

// fetch downloads a message into a temporary file; nil if it vanished.
func (s *session) fetch(uid imap.UID) (*spooledMessage, error) {
	cmd := s.c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
	defer cmd.Close()
	msg := cmd.Next()
	if msg == nil {
		return nil, cmd.Close()
	}
	var m *spooledMessage
	for {
		item := msg.Next()
		if item == nil {
			break
		}
		if bs, ok := item.(imapclient.FetchItemDataBodySection); ok && m == nil {
			var err error
			if m, err = spoolMessage(s.in.opts.TempDir, bs.Literal); err != nil {
				return nil, err
			}
		}
	}
	if err := cmd.Close(); err != nil {
		if m != nil {
			m.close()
		}
		return nil, fmt.Errorf("fetch message %d: %w", uid, err)
	}
	return m, nil
}

// mark tells the server the message is handled: flagged, or moved.
func (s *session) mark(uid imap.UID) error {
	set := imap.UIDSetNum(uid)
	if s.acct.Processed == "move" {
		if _, err := s.c.Move(set, s.acct.ProcessedMailbox).Wait(); err != nil {
			return fmt.Errorf("move message %d to %s: %w", uid, s.acct.ProcessedMailbox, err)
		}
		return nil
	}
	if err := s.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{s.flag}}, nil).Close(); err != nil {
		return fmt.Errorf("flag message %d: %w", uid, err)
	}
	return nil
}

// wait returns when there may be new mail: the server said so (IDLE), the
// poll period passed, someone asked (wake), or ctx ended.
func (s *session) wait(ctx context.Context, wake <-chan struct{}) error {
	if !s.idle {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-s.in.clock.After(s.in.opts.Poll):
		}
		return nil
	}
	idle, err := s.c.Idle()
	if err != nil {
		return fmt.Errorf("wait for new mail (IDLE): %w", err)
	}
	var closed error
	select {
	case <-ctx.Done():
	case <-wake:
	case <-s.newMail:
	case <-s.in.clock.After(s.in.opts.Poll):
	case <-s.c.Closed():
		closed = errors.New("the server closed the connection")
	}
	if err := idle.Close(); err != nil && closed == nil && ctx.Err() == nil {
		return fmt.Errorf("end IDLE: %w", err)
	}
	if closed != nil {
		return closed
	}
	if err := idle.Wait(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("end IDLE: %w", err)
	}
	return ctx.Err()
}
