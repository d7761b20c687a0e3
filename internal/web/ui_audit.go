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

// auditWorded are the journal actions the audit log says in its own words
// (audit.ACTION, from the administrator's side); the others read as on
// /activity (act.ACTION).
var auditWorded = []string{
	"user_add", "user_update", "user_passwd", "user_logout_all", "user_reset_link", "user_reset_done",
	"app_password_add", "app_password_revoke",
	"group_add", "group_rename", "group_delete", "group_member_add", "group_member_remove",
	"grant_add", "grant_remove",
	"share_create", "share_revoke", "share_view", "share_download", "share_upload", "share_denied",
	"retention_rule", "purge_trash", "purge_versions", "set_props", "repair",
	"role_add", "role_update", "role_delete", "term_add", "term_end", "term_delete", "term_reminder",
	"share_transfer", "collection_transfer",
}

// auditHidden are journal details that mean nothing to a reader (internal
// ids, content hashes): the audit log leaves them out. Every other detail
// is shown with its label, audit.d_KEY.
var auditHidden = []string{"ids", "by", "blob", "id", "link", "node", "collection", "holder"}

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
	es, err := s.repo.Activity.Journal(c.UserContext(), principal(c), q)
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
	// The activity feed's words, unless the audit log has its own (said
	// from the administrator's side: « a créé le compte marie »).
	// An action the catalogue does not know (a row from another version)
	// shows as its name: TestMessageCatalogue checks the code's own.
	text := e.Action
	switch {
	case slices.Contains(auditWorded, e.Action):
		text = l.T("audit."+e.Action, kv...)
	case l.Has("act." + e.Action):
		text = l.T("act."+e.Action, kv...)
	}
	for k, v := range data {
		if v != "" && strings.Contains(text, v) {
			used[k] = true
		}
	}
	var extra []string
	for _, k := range sortedKeys(data) {
		if used[k] || data[k] == "" || slices.Contains(auditHidden, k) {
			continue
		}
		label := k // a detail from another version
		if l.Has("audit.d_" + k) {
			label = l.T("audit.d_" + k)
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
			if l.Has("role." + x) {
				return l.T("role." + x)
			}
			if l.Has("urole." + x) {
				return l.T("urole." + x)
			}
		case "kind": // a share link's
			if x == repo.ShareDropBox {
				return l.T("share.kind_dropbox")
			}
			return l.T("share.kind_viewer")
		case "expires":
			if at, err := time.Parse(time.RFC3339, x); err == nil {
				return l.Date(at)
			}
		case "start", "end", "previous_end": // a term of office's dates
			if at, err := time.Parse(time.RFC3339, x); err == nil {
				return l.Day(at)
			}
		case "principal":
			kind, name, _ := strings.Cut(x, ":")
			switch kind {
			case "user":
				return l.T("audit.p_user", "Name", name)
			case "group":
				return l.T("audit.p_group", "Name", name)
			case "role":
				return l.T("audit.p_role", "Name", officeLabel(l, name))
			case "members":
				return l.T("audit.p_members")
			case "public":
				return l.T("audit.p_public")
			}
		}
		return x
	case float64:
		if key == "bytes" || key == "size" {
			return l.Size(int64(x))
		}
		if key == "max_downloads" && x == 0 {
			return "" // no limit: nothing to say
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return l.T("audit.yes")
		}
		return l.T("audit.no")
	case []any:
		if key == "nodes" { // a collection's items, by id: how many
			return strconv.Itoa(len(x))
		}
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
