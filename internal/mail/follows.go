package mail

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"notreasso/internal/meta"
)

// What a person can follow by e-mail.
const (
	FollowFolder     = "folder"     // target: the folder's node id
	FollowTag        = "tag"        // target: the tag's name
	FollowCollection = "collection" // target: the collection's id
)

// Digest frequencies.
const (
	DigestOff    = "off"
	DigestDaily  = "daily"
	DigestWeekly = "weekly"
)

// ErrInvalid is bad input to a follow or a preference.
var ErrInvalid = errors.New("mail: invalid choice")

// Follows stores what each person follows and their mail preferences.
type Follows struct {
	db    *meta.DB
	clock Clock
}

// NewFollows returns the store in db; a nil clock is the wall clock.
func NewFollows(db *meta.DB, clock Clock) *Follows {
	if clock == nil {
		clock = wallClock{}
	}
	return &Follows{db: db, clock: clock}
}

// Follow is one thing a person follows.
type Follow struct {
	ID        int64
	Kind      string
	Target    string
	CreatedAt time.Time
}

func checkKind(kind string) error {
	switch kind {
	case FollowFolder, FollowTag, FollowCollection:
		return nil
	}
	return fmt.Errorf("%w: follow kind %q", ErrInvalid, kind)
}

// Follow adds a follow (following twice is one follow). The caller has
// checked that the person may see the target.
func (f *Follows) Follow(ctx context.Context, uid int64, kind, target string) error {
	if err := checkKind(kind); err != nil {
		return err
	}
	_, err := f.db.W.ExecContext(ctx, `INSERT INTO mail_follows (user_id, kind, target, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, kind, target) DO NOTHING`, uid, kind, target, f.clock.Now().UnixNano())
	if err != nil {
		return fmt.Errorf("follow %s %s: %w", kind, target, err)
	}
	return nil
}

// Unfollow removes a follow.
func (f *Follows) Unfollow(ctx context.Context, uid int64, kind, target string) error {
	if _, err := f.db.W.ExecContext(ctx, `DELETE FROM mail_follows WHERE user_id = ? AND kind = ? AND target = ?`, uid, kind, target); err != nil {
		return fmt.Errorf("unfollow %s %s: %w", kind, target, err)
	}
	return nil
}

// Following reports whether the person follows the target.
func (f *Follows) Following(ctx context.Context, uid int64, kind, target string) (bool, error) {
	var n int
	err := f.db.R.QueryRowContext(ctx, `SELECT count(*) FROM mail_follows WHERE user_id = ? AND kind = ? AND target = ?`, uid, kind, target).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read follows: %w", err)
	}
	return n > 0, nil
}

// List is what the person follows, oldest first.
func (f *Follows) List(ctx context.Context, uid int64) ([]Follow, error) {
	rows, err := f.db.R.QueryContext(ctx, `SELECT id, kind, target, created_at FROM mail_follows WHERE user_id = ? ORDER BY id`, uid)
	if err != nil {
		return nil, fmt.Errorf("read follows: %w", err)
	}
	defer rows.Close()
	var out []Follow
	for rows.Next() {
		var fl Follow
		var at int64
		if err := rows.Scan(&fl.ID, &fl.Kind, &fl.Target, &at); err != nil {
			return nil, fmt.Errorf("read follows: %w", err)
		}
		fl.CreatedAt = meta.Time(at)
		out = append(out, fl)
	}
	return out, rows.Err()
}

// Prefs are a person's mail choices.
type Prefs struct {
	Digest       string // off, daily, weekly
	NotifyShares bool
	NotifyDrops  bool
	// DigestUntil is the end of the last period digested (zero: none yet).
	DigestUntil time.Time
}

// DefaultPrefs apply until the person chooses.
var DefaultPrefs = Prefs{Digest: DigestWeekly, NotifyShares: true, NotifyDrops: true}

// Prefs reads the person's choices.
func (f *Follows) Prefs(ctx context.Context, uid int64) (Prefs, error) {
	p := DefaultPrefs
	var until int64
	err := f.db.R.QueryRowContext(ctx, `SELECT digest, notify_shares, notify_drops, digest_until FROM mail_prefs WHERE user_id = ?`, uid).
		Scan(&p.Digest, &p.NotifyShares, &p.NotifyDrops, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultPrefs, nil
	}
	if err != nil {
		return Prefs{}, fmt.Errorf("read mail preferences: %w", err)
	}
	if until != 0 {
		p.DigestUntil = meta.Time(until)
	}
	return p, nil
}

// SetPrefs saves the person's choices (DigestUntil is kept as it is).
func (f *Follows) SetPrefs(ctx context.Context, uid int64, p Prefs) error {
	switch p.Digest {
	case DigestOff, DigestDaily, DigestWeekly:
	default:
		return fmt.Errorf("%w: digest %q (want off, daily or weekly)", ErrInvalid, p.Digest)
	}
	_, err := f.db.W.ExecContext(ctx, `INSERT INTO mail_prefs (user_id, digest, notify_shares, notify_drops) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET digest = excluded.digest, notify_shares = excluded.notify_shares, notify_drops = excluded.notify_drops`,
		uid, p.Digest, p.NotifyShares, p.NotifyDrops)
	if err != nil {
		return fmt.Errorf("save mail preferences: %w", err)
	}
	return nil
}

// Unsubscribe turns off what an unsubscribe link names.
func (f *Follows) Unsubscribe(ctx context.Context, uid int64, scope string) error {
	p, err := f.Prefs(ctx, uid)
	if err != nil {
		return err
	}
	switch scope {
	case ScopeDigest:
		p.Digest = DigestOff
	case ScopeShares:
		p.NotifyShares = false
	case ScopeDrops:
		p.NotifyDrops = false
	default:
		return ErrBadToken
	}
	return f.SetPrefs(ctx, uid, p)
}

// setDigestUntil records the end of the period just digested.
func (f *Follows) setDigestUntil(ctx context.Context, uid int64, until time.Time) error {
	_, err := f.db.W.ExecContext(ctx, `INSERT INTO mail_prefs (user_id, digest, notify_shares, notify_drops, digest_until) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET digest_until = excluded.digest_until`,
		uid, DefaultPrefs.Digest, DefaultPrefs.NotifyShares, DefaultPrefs.NotifyDrops, until.UnixNano())
	if err != nil {
		return fmt.Errorf("record digest period: %w", err)
	}
	return nil
}

// followers lists the accounts that follow something.
func (f *Follows) followers(ctx context.Context) ([]int64, error) {
	rows, err := f.db.R.QueryContext(ctx, `SELECT DISTINCT user_id FROM mail_follows ORDER BY user_id`)
	if err != nil {
		return nil, fmt.Errorf("read followers: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
