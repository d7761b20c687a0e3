package repo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"notreasso/internal/acl"
	"notreasso/internal/errkind"
	"notreasso/internal/meta"
)

// The mail intake's ledger: which messages were handled, which files they
// made, and the worker's status. See docs/intake.md for why a crash at any
// point neither loses nor doubles a document.

// ErrAlreadyImported means the file an import would create was created by
// an earlier attempt (its part key is in the ledger): nothing was stored.
var ErrAlreadyImported = errkind.New(errkind.Exists, "already imported")

// IntakePrincipal is the identity imports act as: the system, recorded as
// « reçu par e-mail de » the message's sender.
func IntakePrincipal(sender string) acl.Principal {
	p := acl.SystemPrincipal()
	p.Login = "intake"
	p.MailFrom = sender
	return p
}

func needSystem(p acl.Principal) error {
	if !p.System {
		return fmt.Errorf("the mail intake's ledger: %w", ErrForbidden)
	}
	return nil
}

// Message states in the ledger.
const (
	IntakeImported    = "imported"    // its documents are in the rule's folder
	IntakeQuarantined = "quarantined" // its sender is not on the allow-list
	IntakeRefused     = "refused"     // nothing could be kept (every part refused)
)

// IntakeMessage is a handled message, as the ledger records it.
type IntakeMessage struct {
	Key         string    `json:"-"`
	AccountID   int64     `json:"account_id"`
	UIDValidity uint32    `json:"-"`
	UID         uint32    `json:"-"`
	State       string    `json:"state"`
	Sender      string    `json:"sender"`
	Subject     string    `json:"subject"`
	Folder      string    `json:"folder"`
	Files       int       `json:"files"`
	Refused     int       `json:"refused"`
	Detail      string    `json:"detail,omitempty"`
	At          time.Time `json:"at"`
}

// KnownUID returns the message key and state recorded for a UID of an
// account's mailbox, if the message was handled.
func (s *Intake) KnownUID(ctx context.Context, p acl.Principal, account int64, uidValidity, uid uint32) (key, state string, ok bool, err error) {
	if err := needSystem(p); err != nil {
		return "", "", false, err
	}
	err = s.db.R.QueryRowContext(ctx, `SELECT u.msg_key, m.state FROM intake_uids u JOIN intake_messages m ON m.msg_key = u.msg_key
		WHERE u.account_id = ? AND u.uidvalidity = ? AND u.uid = ?`, account, int64(uidValidity), int64(uid)).Scan(&key, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", false, nil
	}
	return key, state, err == nil, err
}

// KnownMessage returns the state of a message handled before (in any
// account or mailbox), by its key.
func (s *Intake) KnownMessage(ctx context.Context, p acl.Principal, key string) (state string, ok bool, err error) {
	if err := needSystem(p); err != nil {
		return "", false, err
	}
	err = s.db.R.QueryRowContext(ctx, `SELECT state FROM intake_messages WHERE msg_key = ?`, key).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return state, err == nil, err
}

// PartDone reports whether the file of a part key exists already.
func (s *Intake) PartDone(ctx context.Context, p acl.Principal, partKey string) (bool, error) {
	if err := needSystem(p); err != nil {
		return false, err
	}
	var n int
	err := s.db.R.QueryRowContext(ctx, `SELECT count(*) FROM intake_files WHERE part_key = ?`, partKey).Scan(&n)
	return n > 0, err
}

// Folder makes sure a target folder exists; a quarantine folder is
// also made restricted, so that only administrators see what it holds.
func (s *Intake) Folder(ctx context.Context, p acl.Principal, path string, restricted bool) error {
	if err := needSystem(p); err != nil {
		return err
	}
	n, err := s.svc.Tree.MkdirAll(ctx, p, path)
	if err != nil {
		return fmt.Errorf("mail intake folder %s: %w", path, err)
	}
	if restricted && !n.Restricted {
		if _, err := s.svc.Tree.SetRestricted(ctx, p, n.Path, true); err != nil {
			return fmt.Errorf("restrict the quarantine folder %s: %w", path, err)
		}
	}
	return nil
}

// IntakeFileOptions qualifies an IntakeFile.
type IntakeFileOptions struct {
	// PartKey identifies the file among everything the intake ever
	// imported (the message key and the part's place in it): recorded in
	// the transaction that creates the file.
	PartKey string
	Tags    []string
	ModTime time.Time // the mail's date
	Size    int64     // -1 when unknown
}

// IntakeName makes a file name from what a mail announces: the last
// element of a path, valid UTF-8, characters no client can show replaced,
// within the length limit, fallback if nothing is left.
func IntakeName(name, fallback string) string {
	name = strings.ToValidUTF8(name, "_")
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	name = strings.TrimSpace(norm.NFC.String(name))
	if name == "" || name == "." || name == ".." {
		name = fallback
	}
	name = PortableName(name)
	if len(name) > MaxNameBytes {
		base, ext := splitExt(name)
		name = truncateName(base, len(ext)) + ext
	}
	for !utf8.ValidString(name) { // cannot happen after truncateName; belt and braces
		name = name[:len(name)-1]
	}
	return name
}

// File stores r as a new file in folder, under name or its first
// free variant (« facture (2).pdf »), with tags, as one transaction that
// also records o.PartKey: if the key is there already, nothing is stored
// and ErrAlreadyImported is returned. The upload limit applies (ErrTooLarge).
func (s *Intake) File(ctx context.Context, p acl.Principal, folder, name string, r io.Reader, o IntakeFileOptions) (Node, error) {
	if err := needSystem(p); err != nil {
		return Node{}, err
	}
	if o.PartKey == "" {
		return Node{}, fmt.Errorf("%w: an intake file needs a part key", ErrInvalid)
	}
	name = IntakeName(name, "document")
	var tags []string
	for _, t := range o.Tags {
		if c, err := CleanTag(t); err == nil {
			tags = append(tags, c)
		}
	}
	sp, err := s.spool(ctx, r, o.Size, name)
	if err != nil {
		return Node{}, fmt.Errorf("import %s: %w", name, err)
	}
	defer sp.release()
	if err := s.storeBlob(ctx, sp); err != nil {
		return Node{}, fmt.Errorf("import %s: %w", name, err)
	}
	mtime := o.ModTime
	if mtime.IsZero() {
		mtime = s.now()
	}
	var id int64
	err = s.db.Tx(ctx, func(tx meta.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO intake_files (part_key, node_id, at) VALUES (?, 0, ?) ON CONFLICT (part_key) DO NOTHING`,
			o.PartKey, s.now().UnixNano())
		if err != nil {
			return fmt.Errorf("record %s: %w", o.PartKey, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrAlreadyImported
		}
		pc, err := s.resolve(ctx, tx, folder)
		if err != nil {
			return err
		}
		if !pc.last().dir {
			return fmt.Errorf("%s: %w", folder, ErrNotDir)
		}
		free, err := s.freeName(ctx, tx, pc.last().id, name)
		if err != nil {
			return err
		}
		if err := s.admitName(ctx, tx, p, pc.last().id, free, "", 0); err != nil {
			return err
		}
		if id, err = s.insertFile(ctx, tx, p, pc, free, sp, mtime); err != nil {
			return err
		}
		for _, t := range tags {
			if _, err := tx.ExecContext(ctx, `INSERT INTO tags (name) VALUES (?) ON CONFLICT (name) DO NOTHING`, t); err != nil {
				return fmt.Errorf("create tag %q: %w", t, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO node_tags (node_id, tag_id) SELECT ?, id FROM tags WHERE name = ? ON CONFLICT DO NOTHING`, id, t); err != nil {
				return fmt.Errorf("tag %s: %w", free, err)
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE intake_files SET node_id = ? WHERE part_key = ?`, id, o.PartKey)
		return err
	})
	if err != nil {
		return Node{}, fmt.Errorf("import %s into %s: %w", name, folder, err)
	}
	s.notify()
	return s.svc.Tree.StatID(ctx, p, id)
}

// Record writes a handled message into the ledger, with the UID it
// had, and counts it in its account's status. A message already recorded
// (the same mail in another mailbox) only gains the UID.
func (s *Intake) Record(ctx context.Context, p acl.Principal, m IntakeMessage) error {
	if err := needSystem(p); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx meta.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO intake_messages (msg_key, account_id, state, sender, subject, folder, files, detail, at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (msg_key) DO NOTHING`,
			m.Key, m.AccountID, m.State, m.Sender, clip(m.Subject, 300), m.Folder, m.Files, clip(m.Detail, 2000), s.now().UnixNano())
		if err != nil {
			return fmt.Errorf("record message: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			col := map[string]string{IntakeImported: "imported", IntakeQuarantined: "quarantined", IntakeRefused: "refused"}[m.State]
			if col != "" {
				if _, err := tx.ExecContext(ctx, `UPDATE intake_accounts SET `+col+` = `+col+` + 1 WHERE id = ?`, m.AccountID); err != nil {
					return err
				}
			}
		}
		if m.UID != 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO intake_uids (account_id, uidvalidity, uid, msg_key) VALUES (?, ?, ?, ?)
				ON CONFLICT (account_id, uidvalidity, uid) DO NOTHING`, m.AccountID, int64(m.UIDValidity), int64(m.UID), m.Key); err != nil {
				return fmt.Errorf("record message uid: %w", err)
			}
		}
		return nil
	})
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// IntakeReport is what one round of the worker tells the status.
type IntakeReport struct {
	Polled  bool   // the mailbox was read (LastPoll moves)
	OK      bool   // the round ended well (LastSuccess moves, the error clears)
	Idle    bool   // the server pushes new mail
	Error   string // why it failed, or a message's problem ("" if none)
	Subject string // the message an Error is about, if any
}

// intakeErrorsKept is how many errors per account the status keeps.
const intakeErrorsKept = 200

// ReportStatus records a round's outcome for the admin page.
func (s *Intake) ReportStatus(ctx context.Context, p acl.Principal, account int64, r IntakeReport) error {
	if err := needSystem(p); err != nil {
		return err
	}
	now := s.now().UnixNano()
	return s.db.Tx(ctx, func(tx meta.Tx) error {
		if r.Polled {
			if _, err := tx.ExecContext(ctx, `UPDATE intake_accounts SET last_poll = ?, idle = ? WHERE id = ?`, now, boolInt(r.Idle), account); err != nil {
				return err
			}
		}
		if r.OK {
			if _, err := tx.ExecContext(ctx, `UPDATE intake_accounts SET last_success = ?, last_error = '' WHERE id = ?`, now, account); err != nil {
				return err
			}
		}
		if r.Error == "" {
			return nil
		}
		if r.Subject == "" {
			// A round's failure (the server unreachable…), not one message's.
			if _, err := tx.ExecContext(ctx, `UPDATE intake_accounts SET last_error = ?, last_error_at = ? WHERE id = ?`, clip(r.Error, 1000), now, account); err != nil {
				return err
			}
		}
		// The same failure again (a server down for an hour) moves the
		// newest row's time instead of filling the list.
		var lastID int64
		var lastSubject, lastReason string
		err := tx.QueryRowContext(ctx, `SELECT id, subject, reason FROM intake_errors WHERE account_id = ? ORDER BY id DESC LIMIT 1`, account).
			Scan(&lastID, &lastSubject, &lastReason)
		if err == nil && lastSubject == clip(r.Subject, 300) && lastReason == clip(r.Error, 1000) {
			_, err := tx.ExecContext(ctx, `UPDATE intake_errors SET at = ? WHERE id = ?`, now, lastID)
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO intake_errors (account_id, at, subject, reason) VALUES (?, ?, ?, ?)`,
			account, now, clip(r.Subject, 300), clip(r.Error, 1000)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM intake_errors WHERE account_id = ? AND id <= (SELECT id FROM intake_errors
			WHERE account_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`, account, account, intakeErrorsKept)
		return err
	})
}

// IntakeError is a problem the worker met.
type IntakeError struct {
	At      time.Time `json:"at"`
	Subject string    `json:"subject,omitempty"`
	Reason  string    `json:"reason"`
}

// Errors lists an account's newest errors. Administrators only.
func (s *Intake) Errors(ctx context.Context, p acl.Principal, account int64, limit int) ([]IntakeError, error) {
	if !p.IsAdmin() {
		return nil, fmt.Errorf("mail accounts are for administrators: %w", ErrForbidden)
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT at, subject, reason FROM intake_errors WHERE account_id = ? ORDER BY id DESC LIMIT ?`, account, limit)
	if err != nil {
		return nil, fmt.Errorf("list mail errors: %w", err)
	}
	defer rows.Close()
	var out []IntakeError
	for rows.Next() {
		var e IntakeError
		var at int64
		if err := rows.Scan(&at, &e.Subject, &e.Reason); err != nil {
			return nil, err
		}
		e.At = meta.Time(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Messages lists an account's newest handled messages, quarantined
// ones included. Administrators only.
func (s *Intake) Messages(ctx context.Context, p acl.Principal, account int64, limit int) ([]IntakeMessage, error) {
	if !p.IsAdmin() {
		return nil, fmt.Errorf("mail accounts are for administrators: %w", ErrForbidden)
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT account_id, state, sender, subject, folder, files, detail, at FROM intake_messages
		WHERE account_id = ? ORDER BY at DESC LIMIT ?`, account, limit)
	if err != nil {
		return nil, fmt.Errorf("list mail messages: %w", err)
	}
	defer rows.Close()
	var out []IntakeMessage
	for rows.Next() {
		var m IntakeMessage
		var at int64
		if err := rows.Scan(&m.AccountID, &m.State, &m.Sender, &m.Subject, &m.Folder, &m.Files, &m.Detail, &at); err != nil {
			return nil, err
		}
		m.At = meta.Time(at)
		out = append(out, m)
	}
	return out, rows.Err()
}

// UploadLimit is the largest file the repository accepts, in bytes (0: no
// limit), for messages that explain a refusal.
func (s *Intake) UploadLimit() int64 { return s.opts.MaxUpload }
