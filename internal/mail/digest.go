package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
	"notreasso/internal/config"
	"notreasso/internal/jobs"
	"notreasso/internal/repo"
)

// Digests make the daily and weekly summaries of what changed in what
// each person follows. The job only decides who gets one for which
// period and queues {person, period}; the message itself is composed when
// the sender takes it (Compose), through repo's activity reader for that
// person's principal at that moment: a document they can no longer read
// by then is not in it, nor is the name of a folder they cannot read.
type Digests struct {
	follows *Follows
	out     *Outbox
	repo    *repo.Service
	auth    *auth.Service
	mailer  *Mailer
	cfg     config.Mail
	log     *slog.Logger
	clock   Clock
}

// NewDigests returns the digest maker; a nil clock is the wall clock.
func NewDigests(f *Follows, m *Mailer, r *repo.Service, a *auth.Service, cfg config.Mail, log *slog.Logger, clock Clock) *Digests {
	if clock == nil {
		clock = wallClock{}
	}
	return &Digests{follows: f, out: m.Outbox, repo: r, auth: a, mailer: m, cfg: cfg, log: log, clock: clock}
}

// digestCheck is how often the job looks for people whose period ended.
const digestCheck = 10 * time.Minute

// Job is the periodic job of the server's runner.
func (d *Digests) Job() jobs.Job {
	return jobs.Job{Name: "mail.digests", Every: digestCheck, First: time.Minute, Run: func(ctx context.Context) error {
		_, err := d.Queue(ctx)
		return err
	}}
}

// periodEnd is the end of the latest complete period at now: today's (or
// this week's) digest hour, or the one before if it is not reached yet.
func (d *Digests) periodEnd(now time.Time, freq string) time.Time {
	now = now.Local()
	end := time.Date(now.Year(), now.Month(), now.Day(), d.cfg.DigestHour, 0, 0, 0, now.Location())
	if end.After(now) {
		end = end.AddDate(0, 0, -1)
	}
	if freq == DigestWeekly {
		back := (int(end.Weekday()) - d.cfg.DigestWeekday + 7) % 7
		end = end.AddDate(0, 0, -back)
	}
	return end
}

// periodDays is the length of a digest's period.
func periodDays(freq string) int {
	if freq == DigestWeekly {
		return 7
	}
	return 1
}

// digestPayload is what a queued digest carries until it is composed.
type digestPayload struct {
	Freq  string `json:"freq"`
	Since int64  `json:"since"` // unix nanoseconds
	Until int64  `json:"until"`
}

// Queue queues the digest of every follower whose period ended and who
// has something to read in it, and returns how many it queued. A person
// gets each period once: the queue's dedup key is the person and the
// period, and the period's end is recorded after queueing.
func (d *Digests) Queue(ctx context.Context) (int, error) {
	uids, err := d.follows.followers(ctx)
	if err != nil {
		return 0, err
	}
	now, n := d.clock.Now(), 0
	var errs []error
	for _, uid := range uids {
		ok, err := d.queueOne(ctx, uid, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("digest of user %d: %w", uid, err))
		}
		if ok {
			n++
		}
	}
	return n, errors.Join(errs...)
}

func (d *Digests) queueOne(ctx context.Context, uid int64, now time.Time) (bool, error) {
	prefs, err := d.follows.Prefs(ctx, uid)
	if err != nil || prefs.Digest == DigestOff {
		return false, err
	}
	until := d.periodEnd(now, prefs.Digest)
	if !prefs.DigestUntil.Before(until) {
		return false, nil // this period is done
	}
	since := until.AddDate(0, 0, -periodDays(prefs.Digest))
	if prefs.DigestUntil.After(since) {
		since = prefs.DigestUntil // right after the last digest: nothing told twice
	}
	u, err := d.auth.UserByID(ctx, uid)
	if err != nil {
		return false, err
	}
	queued := false
	if u.Email != "" && !u.Disabled {
		p := digestPayload{Freq: prefs.Digest, Since: since.UnixNano(), Until: until.UnixNano()}
		sections, err := d.sections(ctx, uid, p)
		if err != nil {
			return false, err
		}
		if len(sections) > 0 {
			payload, _ := json.Marshal(p)
			id, err := d.out.Enqueue(ctx, Message{Kind: "digest", To: u.Email, UserID: uid, Payload: string(payload),
				DedupKey: "digest:" + strconv.FormatInt(uid, 10) + ":" + strconv.FormatInt(until.Unix(), 10)})
			if err != nil {
				return false, err
			}
			queued = id != 0
		}
	}
	return queued, d.follows.setDigestUntil(ctx, uid, until)
}

// Section is one followed thing and its changes, grouped like the
// activity page.
type Section struct {
	Kind   string // folder, tag, collection
	Title  string // the folder's path, "#tag", the collection's title
	Link   string // its page, absolute
	Groups []repo.EventGroup
	Count  int // changes in it
}

// sections reads, as the person now, what changed in each follow.
func (d *Digests) sections(ctx context.Context, uid int64, p digestPayload) ([]Section, error) {
	pr, err := d.auth.Principal(ctx, uid)
	if err != nil {
		return nil, nil // disabled or gone: nothing to tell
	}
	fl, err := d.follows.List(ctx, uid)
	if err != nil {
		return nil, err
	}
	since, until := time.Unix(0, p.Since), time.Unix(0, p.Until)
	var out []Section
	for _, f := range fl {
		sc, link, err := d.scope(ctx, pr, f)
		if errors.Is(err, repo.ErrNotFound) {
			continue // no longer visible to them: not even its name
		}
		if err != nil {
			return nil, err
		}
		title, evs, err := d.repo.Activity.Changes(ctx, pr, sc, since, until)
		if errors.Is(err, repo.ErrNotFound) || errors.Is(err, repo.ErrNotDir) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("changes in %s %s: %w", f.Kind, f.Target, err)
		}
		if len(evs) == 0 {
			continue
		}
		out = append(out, Section{Kind: f.Kind, Title: title, Link: d.mailer.r.base + link, Groups: repo.GroupEvents(repo.FeedEvents(evs)), Count: len(evs)})
	}
	return out, nil
}

// scope turns a follow into the feed scope and page it stands for.
func (d *Digests) scope(ctx context.Context, p acl.Principal, f Follow) (repo.FeedScope, string, error) {
	switch f.Kind {
	case FollowFolder:
		id, err := strconv.ParseInt(f.Target, 10, 64)
		if err != nil {
			return repo.FeedScope{}, "", repo.ErrNotFound
		}
		path, err := d.repo.Activity.FolderPath(ctx, p, id)
		if err != nil {
			return repo.FeedScope{}, "", err
		}
		return repo.FeedScope{Folder: path}, pageFor(path, true), nil
	case FollowTag:
		return repo.FeedScope{Tag: f.Target}, "/tags/" + escapePath(f.Target), nil
	case FollowCollection:
		id, err := strconv.ParseInt(f.Target, 10, 64)
		if err != nil {
			return repo.FeedScope{}, "", repo.ErrNotFound
		}
		return repo.FeedScope{Collection: id}, "/collections/" + f.Target, nil
	}
	return repo.FeedScope{}, "", repo.ErrNotFound
}

// digestData is what the digest templates see as .D.
type digestData struct {
	To       Recipient
	Freq     string
	Since    time.Time
	Until    time.Time
	Sections []Section
	Count    int
	Link     string // the activity page
	Settings string // « Mon compte », where follows and frequency are chosen
}

// Compose makes a queued digest, as its reader may read now (Composer).
func (d *Digests) Compose(ctx context.Context, m Message) (Message, bool, error) {
	var p digestPayload
	if err := json.Unmarshal([]byte(m.Payload), &p); err != nil {
		return Message{}, false, fmt.Errorf("digest payload: %w", err)
	}
	u, err := d.auth.UserByID(ctx, m.UserID)
	if err != nil || u.Disabled || u.Email == "" {
		return Message{}, false, nil
	}
	sections, err := d.sections(ctx, u.ID, p)
	if err != nil || len(sections) == 0 {
		return Message{}, false, err
	}
	n := 0
	for _, s := range sections {
		n += s.Count
	}
	to := Recipient{UserID: u.ID, Login: u.Login, Name: u.DisplayName, Email: u.Email, Lang: u.Lang}
	base := d.mailer.r.base
	unsub := d.mailer.unsubscribeURL(u.ID, ScopeDigest)
	data := digestData{To: to, Freq: p.Freq, Since: time.Unix(0, p.Since), Until: time.Unix(0, p.Until), Sections: sections, Count: n,
		Link: base + "/activity", Settings: base + "/account#mail"}
	out, err := d.mailer.r.render(u.Lang, "digest", []any{"Count", n}, data, "digest_"+p.Freq, unsub)
	if err != nil {
		return Message{}, false, err
	}
	m.To, m.Subject, m.Text, m.HTML, m.Headers = u.Email, out.Subject, out.Text, out.HTML, unsubscribeHeaders(unsub)
	return m, true, nil
}
