package repo

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// Entry is one journal row: who did what, when, to which node.
type Entry struct {
	Seq     int64
	At      time.Time
	Actor   string // login; empty for visitors, link holders and the command line
	NodeID  int64
	Action  string
	Details map[string]any
}

// Audit categories: journal actions by prefix.
var auditPrefixes = map[string][]string{
	"accounts": {"user_", "group_", "app_password_", "role_", "term_"},
	"grants":   {"grant_"},
	"shares":   {"share_"},
}

// JournalQuery selects journal entries, newest first.
type JournalQuery struct {
	Category string    // "", "accounts", "grants", "shares" or "files" (everything else)
	Before   int64     // only entries with a smaller sequence number (paging); 0: from the newest
	Limit    int       // at most this many (default 100, at most 1000)
	Actor    string    // only what this login did ("" for everyone)
	Since    time.Time // only entries at or after this time (zero: no bound)
	Until    time.Time // only entries before this time (zero: no bound)
}

// Journal is the audit log: every change to the tree, accounts, grants and
// share links, and every use of a link. Administrators only.
func (s *Activity) Journal(ctx context.Context, p acl.Principal, q JournalQuery) ([]Entry, error) {
	if !p.IsAdmin() {
		return nil, fmt.Errorf("the journal is for administrators: %w", ErrForbidden)
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit = min(q.Limit, 1000)
	var conds []string
	var args []any
	if q.Before > 0 {
		conds, args = append(conds, `j.seq < ?`), append(args, q.Before)
	}
	if q.Actor != "" {
		conds, args = append(conds, `j.actor = (SELECT id FROM users WHERE login = ?)`), append(args, q.Actor)
	}
	if !q.Since.IsZero() {
		conds, args = append(conds, `j.at >= ?`), append(args, q.Since.UnixNano())
	}
	if !q.Until.IsZero() {
		conds, args = append(conds, `j.at < ?`), append(args, q.Until.UnixNano())
	}
	switch prefixes, ok := auditPrefixes[q.Category]; {
	case q.Category == "":
	case ok:
		var or []string
		for _, pre := range prefixes {
			or, args = append(or, `j.action LIKE ? ESCAPE '\'`), append(args, likePrefix(pre))
		}
		conds = append(conds, `(`+strings.Join(or, ` OR `)+`)`)
	case q.Category == "files":
		for _, prefixes := range auditPrefixes {
			for _, pre := range prefixes {
				conds, args = append(conds, `j.action NOT LIKE ? ESCAPE '\'`), append(args, likePrefix(pre))
			}
		}
	default:
		return nil, fmt.Errorf("%w: unknown journal category %q", ErrInvalidName, q.Category)
	}
	where := ``
	if len(conds) > 0 {
		where = `WHERE ` + strings.Join(conds, ` AND `)
	}
	return s.entries(ctx, where, args, q.Limit)
}

// entries reads journal rows, newest first; limit 0 means all.
func (s *core) entries(ctx context.Context, where string, args []any, limit int) ([]Entry, error) {
	q := `SELECT j.seq, j.at, COALESCE(u.login, ''), COALESCE(j.node_id, 0), j.action, j.details
		FROM journal j LEFT JOIN users u ON u.id = j.actor ` + where + ` ORDER BY j.seq DESC`
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, limit)
	}
	rows, err := s.db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		var at int64
		var details sql.NullString
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.NodeID, &e.Action, &details); err != nil {
			return nil, fmt.Errorf("read journal: %w", err)
		}
		e.At = meta.Time(at)
		if err := json.Unmarshal([]byte(details.String), &e.Details); err != nil || e.Details == nil {
			e.Details = map[string]any{}
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
