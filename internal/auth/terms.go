package auth

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"notreasso/internal/errkind"
	"notreasso/internal/meta"
)

// A term of office (« mandat »): a person holds a role from Start
// (included) until End (excluded; zero: open-ended). Rights are evaluated
// at each request against the service's clock, so they begin and end at
// the dates by themselves. Terms are the register (« historique des
// mandats »): they stay when the account is disabled, and keep the name
// the holder had.

var ErrNoTerm = errkind.New(errkind.NotFound, "no such term of office")

// Term is one person's term of office in one role.
type Term struct {
	ID         int64
	OfficeID   int64
	Office     string // the role's name now
	OfficeKey  string // the seeded role's key, if any
	OfficeGone bool   // the role has been deleted
	UserID     int64  // 0 if the account no longer exists
	Login      string
	HolderName string // the display name when the term was recorded (or last changed)
	Start      time.Time
	End        time.Time // zero: open-ended
	Decision   string    // « AG du 14 juin 2025 »
	// DecisionNode is the minutes document in the repository (0: none).
	// Show it only to who may read it.
	DecisionNode int64
	CreatedAt    time.Time
	CreatedBy    string
	RemindedAt   time.Time // when the end-of-term reminder went out
}

// TermState says where a term stands at a moment.
type TermState string

const (
	TermUpcoming TermState = "upcoming"
	TermCurrent  TermState = "current"
	TermEnded    TermState = "ended"
)

// StateAt is the term's state at now.
func (t Term) StateAt(now time.Time) TermState {
	switch {
	case now.Before(t.Start):
		return TermUpcoming
	case !t.End.IsZero() && !now.Before(t.End):
		return TermEnded
	}
	return TermCurrent
}

// Holder is the name to show: the display name, else the login.
func (t Term) Holder() string {
	if t.HolderName != "" {
		return t.HolderName
	}
	return t.Login
}

// TermInput is what an administrator records.
type TermInput struct {
	Office       string // role name (or seeded key)
	Login        string
	Start        time.Time
	End          time.Time // zero: open-ended
	Decision     string
	DecisionNode int64
}

func (in *TermInput) check() error {
	if in.Start.IsZero() {
		return fmt.Errorf("%w: a term needs a start date", ErrInvalid)
	}
	if !in.End.IsZero() && !in.End.After(in.Start) {
		return fmt.Errorf("%w: a term ends after it starts", ErrInvalid)
	}
	in.Decision = norm.NFC.String(strings.TrimSpace(in.Decision))
	if utf8.RuneCountInString(in.Decision) > 300 {
		return fmt.Errorf("%w: the decision is at most 300 characters", ErrInvalid)
	}
	return nil
}

// AddTerm records that a person holds a role from in.Start (to in.End).
func (s *Service) AddTerm(ctx context.Context, actor int64, in TermInput) (Term, error) {
	if err := in.check(); err != nil {
		return Term{}, err
	}
	var id int64
	err := s.tx(ctx, func(tx meta.Tx) error {
		oid, err := officeID(ctx, tx, in.Office)
		if err != nil {
			return err
		}
		var uid int64
		var name, office string
		if err := tx.QueryRowContext(ctx, `SELECT id, display_name FROM users WHERE login = ?`, in.Login).Scan(&uid, &name); err != nil {
			return fmt.Errorf("%q: %w", in.Login, ErrNoUser)
		}
		if err := tx.QueryRowContext(ctx, `SELECT name FROM roles WHERE id = ?`, oid).Scan(&office); err != nil {
			return fmt.Errorf("read role: %w", err)
		}
		var node any
		if in.DecisionNode != 0 {
			node = in.DecisionNode
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO terms (role_id, user_id, holder_login, holder_name, start_at, end_at,
				decision, decision_node_id, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			oid, uid, in.Login, name, in.Start.UnixNano(), nullTime(in.End), in.Decision, node, s.now().UnixNano(), nullID(actor)).Scan(&id); err != nil {
			return fmt.Errorf("record term: %w", err)
		}
		details := map[string]any{"office": office, "login": in.Login, "start": in.Start.Format(time.RFC3339)}
		if !in.End.IsZero() {
			details["end"] = in.End.Format(time.RFC3339)
		}
		if in.Decision != "" {
			details["decision"] = in.Decision
		}
		return s.audit(ctx, tx, actor, "term_add", details)
	})
	if err != nil {
		return Term{}, fmt.Errorf("add a term for %s: %w", in.Login, err)
	}
	return s.TermByID(ctx, id)
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// SetTermEnd changes when a term ends (zero: open-ended again): to end a
// term early, or to extend it. A term cannot end before it starts.
func (s *Service) SetTermEnd(ctx context.Context, actor, id int64, end time.Time) (Term, error) {
	err := s.tx(ctx, func(tx meta.Tx) error {
		t, err := s.term(ctx, tx, id)
		if err != nil {
			return err
		}
		if !end.IsZero() && !end.After(t.Start) {
			return fmt.Errorf("%w: a term ends after it starts", ErrInvalid)
		}
		// A new end gets a new reminder.
		if _, err := tx.ExecContext(ctx, `UPDATE terms SET end_at = ?, reminded_at = NULL WHERE id = ?`, nullTime(end), id); err != nil {
			return fmt.Errorf("set the end of term %d: %w", id, err)
		}
		details := map[string]any{"office": t.Office, "login": t.Login}
		if !end.IsZero() {
			details["end"] = end.Format(time.RFC3339)
		}
		if !t.End.IsZero() {
			details["previous_end"] = t.End.Format(time.RFC3339)
		}
		return s.audit(ctx, tx, actor, "term_end", details)
	})
	if err != nil {
		return Term{}, err
	}
	return s.TermByID(ctx, id)
}

// DeleteTerm removes a term recorded by mistake. Ended terms belong to the
// register: end a term rather than delete it.
func (s *Service) DeleteTerm(ctx context.Context, actor, id int64) error {
	return s.tx(ctx, func(tx meta.Tx) error {
		t, err := s.term(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM terms WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete term %d: %w", id, err)
		}
		return s.audit(ctx, tx, actor, "term_delete", map[string]any{"office": t.Office, "login": t.Login,
			"start": t.Start.Format(time.RFC3339)})
	})
}

const termCols = `t.id, t.role_id, r.name, r.seed_key, r.deleted_at IS NOT NULL, COALESCE(t.user_id, 0),
	t.holder_login, COALESCE(NULLIF(u.display_name, ''), t.holder_name), t.start_at, COALESCE(t.end_at, 0), t.decision,
	COALESCE(t.decision_node_id, 0), t.created_at, COALESCE(c.login, ''), COALESCE(t.reminded_at, 0)`

const termFrom = ` FROM terms t JOIN roles r ON r.id = t.role_id LEFT JOIN users u ON u.id = t.user_id
	LEFT JOIN users c ON c.id = t.created_by `

func scanTerm(sc interface{ Scan(...any) error }) (Term, error) {
	var t Term
	var start, end, created, reminded int64
	err := sc.Scan(&t.ID, &t.OfficeID, &t.Office, &t.OfficeKey, &t.OfficeGone, &t.UserID, &t.Login, &t.HolderName,
		&start, &end, &t.Decision, &t.DecisionNode, &created, &t.CreatedBy, &reminded)
	t.Start, t.End, t.CreatedAt, t.RemindedAt = meta.Time(start), meta.Time(end), meta.Time(created), meta.Time(reminded)
	return t, err
}

func (s *Service) term(ctx context.Context, q queryRower, id int64) (Term, error) {
	t, err := scanTerm(q.QueryRowContext(ctx, `SELECT `+termCols+termFrom+`WHERE t.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Term{}, fmt.Errorf("term %d: %w", id, ErrNoTerm)
	}
	if err != nil {
		return Term{}, fmt.Errorf("read term %d: %w", id, err)
	}
	return t, nil
}

// TermByID loads one term.
func (s *Service) TermByID(ctx context.Context, id int64) (Term, error) {
	return s.term(ctx, s.db.R, id)
}

// TermFilter selects terms of the register.
type TermFilter struct {
	UserID   int64 // only this person's (0: everyone's)
	OfficeID int64 // only this role's (0: every role's)
}

// Terms is the register: terms by role, most recent start first.
func (s *Service) Terms(ctx context.Context, f TermFilter) ([]Term, error) {
	where, args := `1 = 1`, []any{}
	if f.UserID != 0 {
		where += ` AND t.user_id = ?`
		args = append(args, f.UserID)
	}
	if f.OfficeID != 0 {
		where += ` AND t.role_id = ?`
		args = append(args, f.OfficeID)
	}
	return s.terms(ctx, `WHERE `+where+` ORDER BY r.deleted_at IS NOT NULL, r.id, t.start_at DESC, t.id DESC`, args...)
}

func (s *Service) terms(ctx context.Context, tail string, args ...any) ([]Term, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+termCols+termFrom+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("read terms: %w", err)
	}
	defer rows.Close()
	out := []Term{}
	for rows.Next() {
		t, err := scanTerm(rows)
		if err != nil {
			return nil, fmt.Errorf("read terms: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Now is the service's clock (the repository's, in a server).
func (s *Service) Now() time.Time { return s.now() }

// SetClock makes the service (its term evaluation, throttle and tokens)
// read time from now: the server passes the repository's clock, so a
// term's rights end when the repository's time says so.
func (s *Service) SetClock(now func() time.Time) {
	if now != nil {
		s.now = now
	}
}

// term is a term of office as read for a principal: the role, and its
// start and end in Unix nanoseconds (end 0: open-ended).
type term struct{ role, start, end int64 }

// inOffice is the roles the terms give at now (terms that have not started
// give none), and when that next changes (zero: never).
func inOffice(terms []term, now time.Time) ([]int64, time.Time) {
	var ids []int64
	var until time.Time
	sooner := func(t time.Time) {
		if until.IsZero() || t.Before(until) {
			until = t
		}
	}
	for _, t := range terms {
		if s := meta.Time(t.start); s.After(now) {
			sooner(s)
			continue
		}
		if t.end != 0 {
			sooner(meta.Time(t.end))
		}
		if !containsID(ids, t.role) {
			ids = append(ids, t.role)
		}
	}
	return ids, until
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// TermsEnding lists the current terms that end within d of now and whose
// reminder has not gone out yet.
func (s *Service) TermsEnding(ctx context.Context, d time.Duration) ([]Term, error) {
	now := s.now()
	return s.terms(ctx, `WHERE t.end_at IS NOT NULL AND t.end_at > ? AND t.end_at <= ? AND t.start_at <= ?
		AND t.reminded_at IS NULL AND r.deleted_at IS NULL ORDER BY t.end_at`, now.UnixNano(), now.Add(d).UnixNano(), now.UnixNano())
}

// ClaimReminder records that a term's end-of-term reminder goes out now,
// with a journal entry, and reports whether this caller claimed it (false:
// another server sharing the database already did), so it goes out once.
func (s *Service) ClaimReminder(ctx context.Context, t Term, days int) (bool, error) {
	claimed := false
	err := s.tx(ctx, func(tx meta.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE terms SET reminded_at = ? WHERE id = ? AND reminded_at IS NULL`, s.now().UnixNano(), t.ID)
		if err != nil {
			return fmt.Errorf("mark term %d reminded: %w", t.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		claimed = true
		return s.audit(ctx, tx, 0, "term_reminder", map[string]any{"office": t.Office, "login": t.Login,
			"end": t.End.Format(time.RFC3339), "days": days})
	})
	return claimed, err
}

// ReleaseReminder forgets a claimed reminder that could not be handed
// over, so the next pass tries again.
func (s *Service) ReleaseReminder(ctx context.Context, id int64) error {
	_, err := s.db.W.ExecContext(ctx, `UPDATE terms SET reminded_at = NULL WHERE id = ?`, id)
	return err
}

// WriteRegisterCSV writes the register as a spreadsheet opens it: UTF-8
// with a byte-order mark, one term a line, dates as YYYY-MM-DD in loc.
// doc names a term's minutes for the reader ("" to leave them out).
func WriteRegisterCSV(w io.Writer, ts []Term, now time.Time, loc *time.Location, doc func(Term) string) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{"role", "holder", "login", "start", "end", "state", "decision", "decision_document"})
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format("2006-01-02")
	}
	for _, t := range ts {
		cw.Write([]string{t.Office, t.Holder(), t.Login, day(t.Start), day(t.End), string(t.StateAt(now)), t.Decision, doc(t)})
	}
	cw.Flush()
	return cw.Error()
}
