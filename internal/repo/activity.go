package repo

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// Event is one journal entry as the activity feed shows it.
type Event struct {
	Seq     int64
	At      time.Time
	Actor   string // login; empty for the system
	NodeID  int64  // 0 for account events
	Action  string // create, version, mkdir, move, copy, delete, restore, tag, …
	Path    string // where the node was at that time (or is now, if that place is hidden)
	From    string // for moves, copies and restores; empty when FromHidden
	Version int
	// FromHidden is set when a move or copy came from a folder the reader
	// may not read: « déplacé depuis un dossier auquel vous n'avez pas accès ».
	FromHidden bool
	// Sender: the name a drop-box visitor gave (Dropped: the change came
	// through a drop-box link, name given or not).
	Sender  string
	Dropped bool
	// MailFrom: the sender of the mail the change was imported from.
	MailFrom string
}

// MessageID is the catalogue id of the sentence that tells the event.
func (e Event) MessageID() string {
	if e.FromHidden {
		return "act." + e.Action + "_hidden"
	}
	return "act." + e.Action
}

// activityScan bounds how many journal rows one Activity call reads while
// filtering, so a user who may see little does not scan the whole journal.
const activityScan = 5000

// readerActions are what anyone who may read a node sees about it; every
// other action on a node (grants, share links, retention rules, purges)
// is administration, shown only to those who manage the node.
var readerActions = append(slices.Clone(FeedActions), "tag", "label_version")

// Activity returns the most recent journal entries in scope that p may
// see, newest first: changes to nodes p may read now (wherever they are),
// administration of nodes p manages, and account events for
// administrators. Places p may not read are never named. The activity
// page and /api/v1/activity both read it; feeds read the same filter
// through Feed.
func (s *Activity) Activity(ctx context.Context, p acl.Principal, sc FeedScope, limit int) ([]Event, error) {
	_, keep, err := s.feedFilter(ctx, p, sc)
	if err != nil {
		return nil, err
	}
	all := sc == FeedScope{}
	fe, err := s.events(ctx, p, keep, nil, all, limit)
	if err != nil {
		return nil, err
	}
	return FeedEvents(fe), nil
}

// eventsQuery is events' read: the newest activityScan journal entries
// with the given actions (nil: all), on nodes unless withAccounts. The
// journal has no index on its actions: the feeds' actions are most of it,
// and on SQLite, which keeps no statistics, an (action, seq) index led to
// gathering every matching entry and sorting them all to keep the newest
// (220 ms at 500 000 entries, on every feed and digest), where reading the
// journal newest first stops at the limit (3 ms). TestEventsReadNewestFirst
// keeps it so.
func eventsQuery(actions []string, withAccounts bool) (string, []any) {
	where, args := "j.node_id IS NOT NULL", []any{}
	if withAccounts {
		where = "1 = 1"
	}
	if actions != nil {
		where += " AND j.action IN (" + placeholders(len(actions)) + ")"
		for _, a := range actions {
			args = append(args, a)
		}
	}
	return `SELECT j.seq, j.at, COALESCE(u.login, ''), COALESCE(j.node_id, 0), j.action, j.details
		FROM journal j LEFT JOIN users u ON u.id = j.actor WHERE ` + where + ` ORDER BY j.seq DESC LIMIT ` + fmt.Sprint(activityScan), args
}

// events is the one journal reader behind activity pages, the activity API
// and feeds: entries with the given actions (nil: all), on nodes p may read
// now and keep accepts, newest first. Account events (no node) are read
// only with accountEvents, and shown to administrators only.
func (s *core) events(ctx context.Context, p acl.Principal, keep func(chain) bool, actions []string, accountEvents bool, limit int) ([]FeedEvent, error) {
	if limit <= 0 {
		return nil, nil
	}
	query, args := eventsQuery(actions, accountEvents && p.IsAdmin())
	rows, err := s.db.R.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read activity: %w", err)
	}
	var all []FeedEvent
	for rows.Next() {
		var e FeedEvent
		var at int64
		var details string
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.NodeID, &e.Action, &details); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read activity: %w", err)
		}
		e.At = meta.Time(at)
		var d struct {
			Path    string  `json:"path"`
			From    string  `json:"from"`
			Login   string  `json:"login"`
			Title   string  `json:"title"`
			Tag     string  `json:"tag"`
			Group   string  `json:"group"`
			Office  string  `json:"office"`
			Version int     `json:"version"`
			Sender  *string `json:"sender"`
			Mail    string  `json:"mail_from"`
		}
		_ = json.Unmarshal([]byte(details), &d) // entries written by journal() are JSON
		e.Path, e.From, e.Version, e.MailFrom = d.Path, d.From, d.Version, d.Mail
		if d.Sender != nil {
			e.Sender, e.Dropped = *d.Sender, true
		}
		if e.NodeID == 0 {
			e.Path = firstNonEmpty(d.Login, d.Title, d.Tag, d.Group, d.Office)
		}
		all = append(all, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read activity: %w", err)
	}
	type verdict struct {
		role    acl.Role
		kept    bool
		current string // the path now; empty in the trash
		path    string // the path now, in the trash or not
		dir     bool
	}
	seen := map[int64]verdict{}
	folders := map[string]bool{}
	var out []FeedEvent
	for _, e := range all {
		if len(out) == limit {
			break
		}
		if e.NodeID == 0 {
			out = append(out, e) // account events: read for administrators only
			continue
		}
		v, known := seen[e.NodeID]
		if !known {
			c, err := s.chainByID(ctx, s.db.R, e.NodeID)
			if err == nil {
				if v.role, err = s.roleOn(ctx, s.db.R, p, c); err != nil {
					return nil, err
				}
				v.kept, v.dir, v.path = keep(c), c.last().dir, c.path()
				if c.live() {
					v.current = c.path()
				}
			} else if !errors.Is(err, ErrNotFound) {
				return nil, err
			}
			seen[e.NodeID] = v
		}
		need := acl.Viewer
		if !slices.Contains(readerActions, e.Action) {
			need = acl.Manager
		}
		if !v.kept || v.role < need {
			continue
		}
		e.Current, e.Dir = v.current, v.dir
		if e.Path, err = s.pathShown(ctx, p, folders, e.Path, v.path); err != nil {
			return nil, err
		}
		from := e.From
		if e.From, err = s.pathShown(ctx, p, folders, e.From, ""); err != nil {
			return nil, err
		}
		e.FromHidden = from != "" && e.From == ""
		out = append(out, e)
	}
	return out, nil
}

// mayRead reports whether p can read the node (live or trashed) now.
func (s *core) mayRead(ctx context.Context, q querier, p acl.Principal, id int64) (bool, error) {
	c, err := s.chainByID(ctx, q, id)
	if err != nil {
		return false, nil // purged or orphaned: nothing to show
	}
	role, err := s.roleOn(ctx, q, p, c)
	if err != nil && err != sql.ErrNoRows {
		return false, err
	}
	return role >= acl.Viewer, nil
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
