package repo

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// The mail intake's accounts (internal/intake): IMAP mailboxes an
// administrator asks the server to watch, with the rules that say where
// their documents go. Administrators only; the worker reads them as the
// system.

// Rule kinds of an IntakeRule, tried in the order of the account's list.
const (
	MatchRecipient = "recipient" // an address the mail was sent to; "asso+compta@…" or just "compta" (the +tag)
	MatchSender    = "sender"    // the sender's address, or "@domain" / "domain"
	MatchSubject   = "subject"   // every word given appears in the subject (any case, any accents)
	MatchDefault   = "default"   // every message
)

// IntakeRule says where a matching message's documents go.
type IntakeRule struct {
	Match string `json:"match"`
	Value string `json:"value,omitempty"`
	// Folder is created if missing.
	Folder string   `json:"folder"`
	Tags   []string `json:"tags,omitempty"`
	// KeepMail stores the message itself as a .eml file (extraction indexes
	// its text); KeepAttachments stores each attachment as a file. A
	// message that would leave nothing (attachments only, and it has none)
	// is kept as .eml, so nothing is lost.
	KeepMail        bool `json:"keep_mail"`
	KeepAttachments bool `json:"keep_attachments"`
}

// Account is one watched mailbox, with its status.
type IntakeAccount struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Security string `json:"security"` // "tls", "starttls" or "none" (loopback and tests only)
	Login    string `json:"login"`
	// Password is write-only: never returned (PasswordSet says whether one
	// is kept). PasswordFile or PasswordEnv, when set, are read instead.
	Password     string `json:"password,omitempty"`
	PasswordSet  bool   `json:"password_set"`
	PasswordFile string `json:"password_file,omitempty"`
	PasswordEnv  string `json:"password_env,omitempty"`
	Mailbox      string `json:"mailbox"`
	// Processed is what happens on the server once a message is imported:
	// "flag" (the keyword $NotreAsso) or "move" (to ProcessedMailbox).
	Processed        string       `json:"processed"`
	ProcessedMailbox string       `json:"processed_mailbox,omitempty"`
	Allow            []string     `json:"allow"`
	Quarantine       string       `json:"quarantine"`
	Rules            []IntakeRule `json:"rules"`
	Enabled          bool         `json:"enabled"`

	Status IntakeStatus `json:"status"`
}

// IntakeStatus is what the worker last reported for an account.
type IntakeStatus struct {
	LastPoll    time.Time `json:"last_poll"`
	LastSuccess time.Time `json:"last_success"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at"`
	Idle        bool      `json:"idle"` // the server pushes new mail (IMAP IDLE)
	Imported    int64     `json:"imported"`
	Quarantined int64     `json:"quarantined"`
	Refused     int64     `json:"refused"`
}

// Security modes of an intake account.
var intakeSecurity = []string{"tls", "starttls", "none"}

// DefaultQuarantine is the folder unknown senders' mail goes to.
const DefaultQuarantine = "/Courriels en quarantaine"

// check validates and normalises an account being saved.
func (a *IntakeAccount) check() error {
	a.Name, a.Host, a.Login = strings.TrimSpace(a.Name), strings.TrimSpace(a.Host), strings.TrimSpace(a.Login)
	a.Mailbox = strings.TrimSpace(a.Mailbox)
	if a.Mailbox == "" {
		a.Mailbox = "INBOX"
	}
	if a.Security == "" {
		a.Security = "tls"
	}
	if a.Processed == "" {
		a.Processed = "flag"
	}
	if a.Quarantine == "" {
		a.Quarantine = DefaultQuarantine
	}
	bad := func(what string) error { return fmt.Errorf("%w: mail account: %s", ErrInvalid, what) }
	switch {
	case a.Name == "" || len(a.Name) > 100:
		return bad("a name of 1 to 100 characters is needed")
	case a.Host == "" || strings.ContainsAny(a.Host, " /"):
		return bad("the IMAP server's host name is needed")
	case a.Port <= 0 || a.Port > 65535:
		return bad("the port is a number from 1 to 65535")
	case !oneOf(a.Security, intakeSecurity):
		return bad("the security is tls, starttls or none")
	case a.Login == "":
		return bad("the login is needed")
	case a.Processed != "flag" && a.Processed != "move":
		return bad("after import, a message is flagged or moved")
	case a.Processed == "move" && strings.TrimSpace(a.ProcessedMailbox) == "":
		return bad("moving needs the name of the folder to move to")
	}
	a.ProcessedMailbox = strings.TrimSpace(a.ProcessedMailbox)
	if _, err := SplitPath(a.Quarantine); err != nil {
		return bad("the quarantine folder: " + err.Error())
	}
	var allow []string
	for _, s := range a.Allow {
		for f := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == '\n' || r == ',' || r == ' ' || r == ';' || r == '\r' }) {
			allow = append(allow, strings.ToLower(f))
		}
	}
	a.Allow = allow
	for i := range a.Rules {
		if err := a.Rules[i].check(); err != nil {
			return fmt.Errorf("%w: rule %d: %v", ErrInvalid, i+1, err)
		}
	}
	return nil
}

func (r *IntakeRule) check() error {
	r.Value = strings.TrimSpace(r.Value)
	switch r.Match {
	case MatchRecipient, MatchSender, MatchSubject:
		if r.Value == "" {
			return errors.New("say what the rule looks for")
		}
	case MatchDefault:
		r.Value = ""
	default:
		return fmt.Errorf("unknown kind %q (recipient, sender, subject or default)", r.Match)
	}
	names, err := SplitPath(r.Folder)
	if err != nil {
		return fmt.Errorf("folder: %v", err)
	}
	if len(names) == 0 {
		return errors.New("name a folder below the root")
	}
	for _, n := range names {
		if _, err := CheckNewName(n); err != nil {
			return fmt.Errorf("folder: %v", err)
		}
	}
	r.Folder = JoinPath(names)
	var tags []string
	for _, t := range r.Tags {
		if strings.TrimSpace(t) == "" {
			continue
		}
		c, err := CleanTag(t)
		if err != nil {
			return err
		}
		tags = append(tags, c)
	}
	r.Tags = tags
	if !r.KeepMail && !r.KeepAttachments {
		return errors.New("keep the mail, its attachments, or both")
	}
	return nil
}

func oneOf(s string, list []string) bool {
	for _, l := range list {
		if s == l {
			return true
		}
	}
	return false
}

// AllowedSender reports whether from (an address) is on the allow-list:
// an entry is an address, "@domain", "domain" (and its subdomains) or "*".
func (a IntakeAccount) AllowedSender(from string) bool {
	from = strings.ToLower(from)
	_, domain, _ := strings.Cut(from, "@")
	for _, e := range a.Allow {
		e = strings.TrimPrefix(e, "@")
		switch {
		case e == "*", e == from, e == domain, domain != "" && strings.HasSuffix(domain, "."+e):
			return true
		}
	}
	return false
}

const intakeCols = `id, name, host, port, security, login, password <> '', password_file, password_env, mailbox, processed, processed_mailbox,
	allow, quarantine, rules, enabled <> 0, last_poll, last_success, last_error, last_error_at, idle <> 0, imported, quarantined, refused`

func scanIntake(sc interface{ Scan(...any) error }) (IntakeAccount, error) {
	var a IntakeAccount
	var allow, rules string
	var poll, ok, errAt int64
	err := sc.Scan(&a.ID, &a.Name, &a.Host, &a.Port, &a.Security, &a.Login, &a.PasswordSet, &a.PasswordFile, &a.PasswordEnv,
		&a.Mailbox, &a.Processed, &a.ProcessedMailbox, &allow, &a.Quarantine, &rules, &a.Enabled,
		&poll, &ok, &a.Status.LastError, &errAt, &a.Status.Idle, &a.Status.Imported, &a.Status.Quarantined, &a.Status.Refused)
	if err != nil {
		return a, err
	}
	a.Status.LastPoll, a.Status.LastSuccess, a.Status.LastErrorAt = meta.Time(poll), meta.Time(ok), meta.Time(errAt)
	a.Allow = strings.Fields(allow)
	if err := json.Unmarshal([]byte(rules), &a.Rules); err != nil {
		return a, fmt.Errorf("mail account %s: read its rules: %w", a.Name, err)
	}
	return a, nil
}

// Accounts lists the mail accounts. Administrators only.
func (s *Intake) Accounts(ctx context.Context, p acl.Principal) ([]IntakeAccount, error) {
	if !p.IsAdmin() {
		return nil, fmt.Errorf("mail accounts are for administrators: %w", ErrForbidden)
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+intakeCols+` FROM intake_accounts ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list mail accounts: %w", err)
	}
	defer rows.Close()
	var out []IntakeAccount
	for rows.Next() {
		a, err := scanIntake(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Account returns one mail account. Administrators only.
func (s *Intake) Account(ctx context.Context, p acl.Principal, id int64) (IntakeAccount, error) {
	if !p.IsAdmin() {
		return IntakeAccount{}, fmt.Errorf("mail accounts are for administrators: %w", ErrForbidden)
	}
	a, err := scanIntake(s.db.R.QueryRowContext(ctx, `SELECT `+intakeCols+` FROM intake_accounts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("mail account %d: %w", id, ErrNotFound)
	}
	return a, err
}

// Password is the account's saved password (the worker reads
// PasswordFile or PasswordEnv itself when one is set). The system only.
func (s *Intake) Password(ctx context.Context, p acl.Principal, a IntakeAccount) (string, error) {
	if !p.System {
		return "", fmt.Errorf("mail account passwords: %w", ErrForbidden)
	}
	var pw string
	if err := s.db.R.QueryRowContext(ctx, `SELECT password FROM intake_accounts WHERE id = ?`, a.ID).Scan(&pw); err != nil {
		return "", fmt.Errorf("mail account %s: %w", a.Name, err)
	}
	return pw, nil
}

// SaveAccount creates (ID 0) or updates a mail account. An empty
// Password keeps the one saved. Administrators only.
func (s *Intake) SaveAccount(ctx context.Context, p acl.Principal, a IntakeAccount) (IntakeAccount, error) {
	if !p.IsAdmin() {
		return a, fmt.Errorf("mail accounts are for administrators: %w", ErrForbidden)
	}
	if err := a.check(); err != nil {
		return a, err
	}
	rules, err := json.Marshal(a.Rules)
	if err != nil {
		return a, err
	}
	if a.Rules == nil {
		rules = []byte("[]")
	}
	now := s.now().UnixNano()
	allow := strings.Join(a.Allow, "\n")
	err = s.db.Tx(ctx, func(tx meta.Tx) error {
		var taken int64
		switch err := tx.QueryRowContext(ctx, `SELECT id FROM intake_accounts WHERE name = ? AND id <> ?`, a.Name, a.ID).Scan(&taken); {
		case err == nil:
			return fmt.Errorf("a mail account named %q: %w", a.Name, ErrExists)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if a.ID == 0 {
			err := tx.QueryRowContext(ctx, `INSERT INTO intake_accounts (name, host, port, security, login, password, password_file, password_env,
				mailbox, processed, processed_mailbox, allow, quarantine, rules, enabled, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				a.Name, a.Host, a.Port, a.Security, a.Login, a.Password, a.PasswordFile, a.PasswordEnv, a.Mailbox, a.Processed,
				a.ProcessedMailbox, allow, a.Quarantine, string(rules), boolInt(a.Enabled), now, now).Scan(&a.ID)
			if err != nil {
				return fmt.Errorf("create mail account %s: %w", a.Name, err)
			}
			return s.journal(ctx, tx, p, 0, "intake_account_create", map[string]any{"title": a.Name, "host": a.Host})
		}
		res, err := tx.ExecContext(ctx, `UPDATE intake_accounts SET name = ?, host = ?, port = ?, security = ?, login = ?,
			password = CASE WHEN ? = '' THEN password ELSE ? END, password_file = ?, password_env = ?, mailbox = ?, processed = ?,
			processed_mailbox = ?, allow = ?, quarantine = ?, rules = ?, enabled = ?, updated_at = ? WHERE id = ?`,
			a.Name, a.Host, a.Port, a.Security, a.Login, a.Password, a.Password, a.PasswordFile, a.PasswordEnv, a.Mailbox, a.Processed,
			a.ProcessedMailbox, allow, a.Quarantine, string(rules), boolInt(a.Enabled), now, a.ID)
		if err != nil {
			return fmt.Errorf("update mail account %s: %w", a.Name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("mail account %d: %w", a.ID, ErrNotFound)
		}
		return s.journal(ctx, tx, p, 0, "intake_account_update", map[string]any{"title": a.Name, "host": a.Host})
	})
	if err != nil {
		return a, err
	}
	return s.Account(ctx, p, a.ID)
}

// DeleteAccount stops watching a mailbox. What it imported stays;
// so does the ledger of messages, so that adding the account again does
// not import them twice. Administrators only.
func (s *Intake) DeleteAccount(ctx context.Context, p acl.Principal, id int64) error {
	if !p.IsAdmin() {
		return fmt.Errorf("mail accounts are for administrators: %w", ErrForbidden)
	}
	return s.db.Tx(ctx, func(tx meta.Tx) error {
		var name string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM intake_accounts WHERE id = ?`, id).Scan(&name); err != nil {
			return fmt.Errorf("mail account %d: %w", id, ErrNotFound)
		}
		for _, q := range []string{`DELETE FROM intake_errors WHERE account_id = ?`, `DELETE FROM intake_accounts WHERE id = ?`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return fmt.Errorf("delete mail account %s: %w", name, err)
			}
		}
		return s.journal(ctx, tx, p, 0, "intake_account_delete", map[string]any{"title": name})
	})
}

// AddressOf is the bare lower-case address of a header value ("Marie
// <Marie@Mairie.fr>" → "marie@mairie.fr"), or the value trimmed if it
// does not parse.
func AddressOf(v string) string {
	if a, err := mail.ParseAddress(v); err == nil {
		return strings.ToLower(a.Address)
	}
	return strings.ToLower(strings.Trim(strings.TrimSpace(v), "<>"))
}

// boolInt stores a flag as 0 or 1: the column is INTEGER on every
// database (PostgreSQL refuses a boolean there).
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
