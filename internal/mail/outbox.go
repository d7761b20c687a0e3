// Package mail is outgoing e-mail: the persistent outbox in the database,
// the job that drains it through an SMTP relay (go-mail), the templates
// (French and English, plain text and HTML), the typed notices other
// packages send, and the digests of followed folders, tags and collections.
//
// Nothing is ever sent from a request handler: handlers (and other jobs)
// Enqueue, which is one INSERT; the sender job delivers. See docs/mail.md.
package mail

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"notreasso/internal/meta"
)

// Message is one e-mail to one person, already rendered.
type Message struct {
	Kind    string // what it is: invitation, reset, digest… (shown to admins, counted)
	To      string // the recipient's address
	UserID  int64  // the recipient's account, 0 for none
	Subject string
	Text    string // the plain-text part
	HTML    string // the HTML part ("" for text only)
	// Headers are extra header fields (List-Unsubscribe…).
	Headers map[string]string
	// Payload, for messages made when sent (digests), is what their
	// Composer needs; Subject and bodies are then empty until then.
	Payload string
	// DedupKey, when set, makes every later Enqueue with the same key a
	// no-op: one digest per person and period, one reminder per term.
	DedupKey string
}

// Clock is the outbox's time source; tests pass one they control.
type Clock interface{ Now() time.Time }

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// Outbox is the persistent queue of outgoing mail.
type Outbox struct {
	db    *meta.DB
	clock Clock
	host  string // for Message-IDs: the public host name

	wake chan struct{} // signalled by Enqueue, read by the sender job
}

// NewOutbox returns the outbox in db. host names the server in
// Message-IDs; a nil clock is the wall clock.
func NewOutbox(db *meta.DB, host string, clock Clock) *Outbox {
	if clock == nil {
		clock = wallClock{}
	}
	if host == "" {
		host = "localhost"
	}
	return &Outbox{db: db, clock: clock, host: host, wake: make(chan struct{}, 1)}
}

// ErrNoAddress is returned for a message without a recipient address.
var ErrNoAddress = errors.New("mail: no recipient address")

// Enqueue stores a message for the sender job and returns its id (0 when
// a message with the same DedupKey was already queued). It is one INSERT:
// safe to call from a request handler.
func (o *Outbox) Enqueue(ctx context.Context, m Message) (int64, error) {
	if strings.TrimSpace(m.To) == "" {
		return 0, ErrNoAddress
	}
	headers, err := json.Marshal(m.Headers)
	if err != nil {
		return 0, fmt.Errorf("enqueue mail: %w", err)
	}
	var uid, dedup any
	if m.UserID != 0 {
		uid = m.UserID
	}
	if m.DedupKey != "" {
		dedup = m.DedupKey
	}
	now := o.clock.Now().UnixNano()
	var id int64
	err = o.db.W.QueryRowContext(ctx, `INSERT INTO mail_outbox (kind, recipient, user_id, subject, text_body, html_body, headers, payload, message_id, dedup_key, created_at, next_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedup_key) DO NOTHING RETURNING id`,
		m.Kind, m.To, uid, m.Subject, m.Text, m.HTML, string(headers), m.Payload, o.messageID(), dedup, now, now).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil // already queued under this key
	}
	if err != nil {
		return 0, fmt.Errorf("enqueue %s mail: %w", m.Kind, err)
	}
	o.Wake()
	return id, nil
}

// Wake tells the sender job there is work, without waiting for its poll.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// messageID is a unique Message-ID, kept with the row so that a message
// sent again after a crash carries the same id (mail clients merge them).
func (o *Outbox) messageID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "<" + hex.EncodeToString(b) + "@" + o.host + ">"
}

var errTaken = errors.New("mail: claimed by another sender")

// queued is a row being delivered.
type queued struct {
	Message
	ID        int64
	MessageID string
	Attempts  int
	CreatedAt time.Time
}

// claim takes the oldest due message: in one UPDATE it is marked claimed,
// so that no other sender (another node) takes it, and its attempt is
// counted before anything is sent. Stale claims (a process that died
// mid-send) are due again after lease.
func (o *Outbox) claim(ctx context.Context, lease time.Duration) (queued, bool, error) {
	now := o.clock.Now()
	var q queued
	var headers string
	var created int64
	var uid sql.NullInt64
	err := o.db.Tx(ctx, func(tx meta.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id, kind, recipient, user_id, subject, text_body, html_body, headers, payload, message_id, attempts, created_at
			FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_at <= ? AND (claimed_at IS NULL OR claimed_at <= ?)
			ORDER BY next_at, id LIMIT 1`, now.UnixNano(), now.Add(-lease).UnixNano()).
			Scan(&q.ID, &q.Kind, &q.To, &uid, &q.Subject, &q.Text, &q.HTML, &headers, &q.Payload, &q.MessageID, &q.Attempts, &created)
		if err != nil {
			return err
		}
		q.Attempts++
		// Conditional, so that of two nodes that read the same row (on
		// PostgreSQL, whose transactions do not serialise like SQLite's
		// single writer), only one takes it.
		res, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET claimed_at = ?, attempts = ? WHERE id = ? AND sent_at IS NULL
			AND (claimed_at IS NULL OR claimed_at <= ?)`, now.UnixNano(), q.Attempts, q.ID, now.Add(-lease).UnixNano())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errTaken
		}
		return nil
	})
	if errors.Is(err, errTaken) {
		return o.claim(ctx, lease) // another sender took it: the next one
	}
	if errors.Is(err, sql.ErrNoRows) {
		return queued{}, false, nil
	}
	if err != nil {
		return queued{}, false, fmt.Errorf("claim mail: %w", err)
	}
	q.UserID, q.CreatedAt = uid.Int64, meta.Time(created)
	_ = json.Unmarshal([]byte(headers), &q.Headers)
	return q, true, nil
}

// markSent records a delivery the relay accepted. The bodies go: they
// are not needed any more, and an invitation's or a password message's
// holds a live link (the tokens are otherwise kept only as hashes).
func (o *Outbox) markSent(ctx context.Context, id int64) error {
	_, err := o.db.W.ExecContext(ctx, `UPDATE mail_outbox SET sent_at = ?, claimed_at = NULL, last_error = '', text_body = '', html_body = '', payload = ''
		WHERE id = ?`, o.clock.Now().UnixNano(), id)
	if err != nil {
		return fmt.Errorf("mark mail %d sent: %w", id, err)
	}
	return nil
}

// markSkipped records a message its Composer found nothing to say in
// (a digest whose every change became unreadable): done, never sent.
func (o *Outbox) markSkipped(ctx context.Context, id int64, why string) error {
	_, err := o.db.W.ExecContext(ctx, `UPDATE mail_outbox SET failed_at = ?, claimed_at = NULL, last_error = ? WHERE id = ?`, o.clock.Now().UnixNano(), why, id)
	if err != nil {
		return fmt.Errorf("mark mail %d skipped: %w", id, err)
	}
	return nil
}

// markFailed releases a claim after a failed attempt: due again at next,
// or abandoned (giveUp).
func (o *Outbox) markFailed(ctx context.Context, id int64, cause error, next time.Time, giveUp bool) error {
	msg := cause.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	var failed any
	if giveUp {
		failed = o.clock.Now().UnixNano()
	}
	_, err := o.db.W.ExecContext(ctx, `UPDATE mail_outbox SET claimed_at = NULL, next_at = ?, last_error = ?, failed_at = ? WHERE id = ?`,
		next.UnixNano(), msg, failed, id)
	if err != nil {
		return fmt.Errorf("record mail %d failure: %w", id, err)
	}
	return nil
}

// nextDue is when the next message becomes due (zero: none waiting).
func (o *Outbox) nextDue(ctx context.Context) (time.Time, error) {
	var at sql.NullInt64
	err := o.db.R.QueryRowContext(ctx, `SELECT MIN(next_at) FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL`).Scan(&at)
	if err != nil {
		return time.Time{}, fmt.Errorf("next mail due: %w", err)
	}
	if !at.Valid {
		return time.Time{}, nil
	}
	return meta.Time(at.Int64), nil
}

// Stats counts the queue, for the admin page and metrics.
type Stats struct {
	Waiting, Sent, Failed int
	LastError             string // of the most recent failed attempt still waiting
	LastSent              time.Time
}

// Stats reads the queue's counts.
func (o *Outbox) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	var last sql.NullInt64
	err := o.db.R.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0),
		MAX(sent_at) FROM mail_outbox`).Scan(&st.Waiting, &st.Sent, &st.Failed, &last)
	if err != nil {
		return Stats{}, fmt.Errorf("mail queue stats: %w", err)
	}
	if last.Valid {
		st.LastSent = meta.Time(last.Int64)
	}
	err = o.db.R.QueryRowContext(ctx, `SELECT last_error FROM mail_outbox WHERE sent_at IS NULL AND last_error <> ''
		ORDER BY next_at DESC LIMIT 1`).Scan(&st.LastError)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Stats{}, fmt.Errorf("mail queue stats: %w", err)
	}
	return st, nil
}

// Entry is a queued message as the admin page lists it (no body).
type Entry struct {
	ID        int64
	Kind      string
	To        string
	Subject   string
	CreatedAt time.Time
	NextAt    time.Time
	SentAt    time.Time
	FailedAt  time.Time
	Attempts  int
	LastError string
}

// Recent lists the newest messages, newest first.
func (o *Outbox) Recent(ctx context.Context, limit int) ([]Entry, error) {
	rows, err := o.db.R.QueryContext(ctx, `SELECT id, kind, recipient, subject, created_at, next_at, COALESCE(sent_at, 0), COALESCE(failed_at, 0), attempts, last_error
		FROM mail_outbox ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list mail queue: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var created, next, sent, failed int64
		if err := rows.Scan(&e.ID, &e.Kind, &e.To, &e.Subject, &created, &next, &sent, &failed, &e.Attempts, &e.LastError); err != nil {
			return nil, fmt.Errorf("list mail queue: %w", err)
		}
		e.CreatedAt, e.NextAt = meta.Time(created), meta.Time(next)
		if sent != 0 {
			e.SentAt = meta.Time(sent)
		}
		if failed != 0 {
			e.FailedAt = meta.Time(failed)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// RetryNow makes every waiting or abandoned message due at once (the
// admin fixed the relay settings).
func (o *Outbox) RetryNow(ctx context.Context) (int64, error) {
	res, err := o.db.W.ExecContext(ctx, `UPDATE mail_outbox SET next_at = ?, failed_at = NULL WHERE sent_at IS NULL AND claimed_at IS NULL`, o.clock.Now().UnixNano())
	if err != nil {
		return 0, fmt.Errorf("retry mail: %w", err)
	}
	n, _ := res.RowsAffected()
	o.Wake()
	return n, nil
}
