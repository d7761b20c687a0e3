package repo

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
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
	Path    string // where the node was at that time
	From    string // for moves, copies and restores
	Version int
}

// activityScan bounds how many journal rows one Activity call reads while
// filtering, so a user who may see little does not scan the whole journal.
const activityScan = 5000

// Activity returns the most recent journal entries that p may see, newest
// first: changes to nodes p may read (now, wherever they are), and account
// events for administrators.
func (s *Service) Activity(ctx context.Context, p acl.Principal, limit int) ([]Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT j.seq, j.at, COALESCE(u.login, ''), COALESCE(j.node_id, 0), j.action, j.details
		FROM journal j LEFT JOIN users u ON u.id = j.actor ORDER BY j.seq DESC LIMIT ?`, activityScan)
	if err != nil {
		return nil, fmt.Errorf("read activity: %w", err)
	}
	var all []Event
	for rows.Next() {
		var e Event
		var at int64
		var details string
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.NodeID, &e.Action, &details); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read activity: %w", err)
		}
		e.At = meta.Time(at)
		var d struct {
			Path    string `json:"path"`
			From    string `json:"from"`
			Login   string `json:"login"`
			Title   string `json:"title"`
			Tag     string `json:"tag"`
			Version int    `json:"version"`
		}
		json.Unmarshal([]byte(details), &d)
		e.Path, e.From, e.Version = d.Path, d.From, d.Version
		if e.NodeID == 0 {
			e.Path = firstNonEmpty(d.Login, d.Title, d.Tag)
		}
		all = append(all, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	var out []Event
	for _, e := range all {
		if len(out) == limit {
			break
		}
		if e.NodeID == 0 {
			if p.IsAdmin() {
				out = append(out, e)
			}
			continue
		}
		ok, known := seen[e.NodeID]
		if !known {
			if ok, err = s.mayRead(ctx, s.db.R, p, e.NodeID); err != nil {
				return nil, err
			}
			seen[e.NodeID] = ok
		}
		if ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// mayRead reports whether p can read the node (live or trashed) now.
func (s *Service) mayRead(ctx context.Context, q querier, p acl.Principal, id int64) (bool, error) {
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
