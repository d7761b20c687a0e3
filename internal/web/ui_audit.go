package web

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/repo"
)

// The audit log for administrators: who changed which account, group,
// grant, link or file, when. It reads the journal, newest first, a page at
// a time, filtered by who, what kind and when.

const auditPage = 50

// auditKinds are the journal categories the filter offers (repo.Journal).
var auditKinds = []string{"accounts", "grants", "shares", "files"}

type auditLine struct {
	Seq    int64
	At     time.Time
	Actor  string
	Text   string // the action in words
	Extra  string // the remaining details, as key: value
	Action string
}

type auditData struct {
	Lines             []auditLine
	Actor, Kind       string
	From, To          string // yyyy-mm-dd, as typed
	Kinds             []string
	Logins            []string
	Next, First, Here string // page links
}

func (s *Server) auditPage(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	pg := s.newPage(c, "admin")
	pg.Title = pg.L.T("audit.title")
	d := auditData{Actor: strings.TrimSpace(c.Query("actor")), Kind: c.Query("kind"), From: c.Query("from"), To: c.Query("to"), Kinds: auditKinds}
	if !slices.Contains(auditKinds, d.Kind) {
		d.Kind = ""
	}
	q := repo.JournalQuery{Category: d.Kind, Actor: d.Actor, Limit: auditPage}
	if v, err := strconv.ParseInt(c.Query("before"), 10, 64); err == nil && v > 0 {
		q.Before = v
	}
	// Days are the server's local days, as the dates on the page are.
	if t, err := time.ParseInLocation("2006-01-02", d.From, time.Local); err == nil {
		q.Since = t
	} else {
		d.From = ""
	}
	if t, err := time.ParseInLocation("2006-01-02", d.To, time.Local); err == nil {
		q.Until = t.AddDate(0, 0, 1)
	} else {
		d.To = ""
	}
	es, err := s.repo.Journal(c.UserContext(), principal(c), q)
	if err != nil {
		return err
	}
	for _, e := range es {
		d.Lines = append(d.Lines, describeEntry(pg.L, e))
	}
	users, err := s.auth.Users(c.UserContext())
	if err != nil {
		return err
	}
	for _, u := range users {
		d.Logins = append(d.Logins, u.Login)
	}
	filter := url.Values{}
	for k, v := range map[string]string{"actor": d.Actor, "kind": d.Kind, "from": d.From, "to": d.To} {
		if v != "" {
			filter.Set(k, v)
		}
	}
	d.First = "/admin/audit?" + filter.Encode()
	if len(es) == auditPage {
		filter.Set("before", strconv.FormatInt(es[len(es)-1].Seq, 10))
		d.Next = "/admin/audit?" + filter.Encode()
	}
	if q.Before == 0 {
		d.First = ""
	}
	pg.Data = d
	return s.render(c, fiber.StatusOK, "audit", pg)
}

// describeEntry says a journal entry in words: the action's message with
// its details (audit.ACTION, else the activity feed's act.ACTION), and the
// details no message used, as key: value.
func describeEntry(l *Locale, e repo.Entry) auditLine {
	line := auditLine{Seq: e.Seq, At: e.At, Actor: e.Actor, Action: e.Action}
	data := map[string]string{}
	for k, v := range e.Details {
		data[k] = detailString(l, k, v)
	}
	kv := []any{}
	for _, k := range []string{"login", "group", "from", "path", "principal", "role", "name", "rule", "tag", "version", "expires"} {
		kv = append(kv, camel(k), data[k])
	}
	kv = append(kv, "Action", e.Action)
	used := map[string]bool{}
	text := l.T("audit."+e.Action, kv...)
	if text == "audit."+e.Action {
		if text = l.T("act."+e.Action, kv...); text == "act."+e.Action {
			text = e.Action
		}
	}
	for k, v := range data {
		if v != "" && strings.Contains(text, v) {
			used[k] = true
		}
	}
	var extra []string
	for _, k := range sortedKeys(data) {
		if used[k] || data[k] == "" || k == "ids" || k == "by" {
			continue
		}
		label := l.T("audit.d_" + k)
		if label == "audit.d_"+k {
			label = k
		}
		extra = append(extra, label+": "+data[k])
	}
	line.Text, line.Extra = text, strings.Join(extra, " · ")
	return line
}

// detailString writes one detail value: roles and principals in words.
func detailString(l *Locale, key string, v any) string {
	switch x := v.(type) {
	case string:
		switch key {
		case "role", "previous":
			// Folder roles (viewer…) or account roles (member…).
			for _, id := range []string{"role." + x, "urole." + x} {
				if t := l.T(id); t != id {
					return t
				}
			}
		case "expires":
			if at, err := time.Parse(time.RFC3339, x); err == nil {
				return l.Date(at)
			}
		case "principal":
			kind, name, _ := strings.Cut(x, ":")
			switch kind {
			case "user":
				return l.T("audit.p_user", "Name", name)
			case "group":
				return l.T("audit.p_group", "Name", name)
			case "members", "public":
				return l.T("audit.p_" + kind)
			}
		}
		return x
	case float64:
		if key == "bytes" || key == "size" {
			return l.Size(int64(x))
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return l.T("audit.yes")
		}
		return l.T("audit.no")
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func camel(k string) string {
	parts := strings.Split(k, "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
