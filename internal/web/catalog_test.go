package web

import (
	"fmt"
	"io/fs"
	notice "notreasso/internal/mail"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"
	"text/template/parse"

	"github.com/BurntSushi/toml"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
	"notreasso/internal/filetype"
	"notreasso/internal/repo"
	"notreasso/ui"
)

// catMsg is one message of one language's catalogue.
type catMsg struct {
	file  string
	forms map[string]bool // plural forms (one, other…); nil for a plain string
}

// pluralKeys are the keys that make a TOML table a message (go-i18n's
// reserved keys) rather than a section.
var pluralKeys = []string{"zero", "one", "two", "few", "many", "other"}

// readCatalogues parses every ui/i18n/*.toml, grouped by language (the part
// of the name before .toml: share.fr.toml is French). An id defined twice
// in one language is an error: which one wins would depend on file order.
func readCatalogues(t *testing.T) map[string]map[string]catMsg {
	t.Helper()
	files, err := fs.Glob(ui.FS, "i18n/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no catalogues: %v", err)
	}
	out := map[string]map[string]catMsg{}
	for _, f := range files {
		base := strings.TrimSuffix(path.Base(f), ".toml")
		lang := base[strings.LastIndex(base, ".")+1:]
		b, err := fs.ReadFile(ui.FS, f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := toml.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if out[lang] == nil {
			out[lang] = map[string]catMsg{}
		}
		var walk func(prefix string, v map[string]any)
		walk = func(prefix string, v map[string]any) {
			for k, x := range v {
				id := prefix + k
				msg := catMsg{file: path.Base(f)}
				if sub, ok := x.(map[string]any); ok {
					isMsg := false
					for _, pk := range pluralKeys {
						if _, ok := sub[pk]; ok {
							isMsg = true
						}
					}
					if !isMsg {
						walk(id+".", sub)
						continue
					}
					msg.forms = map[string]bool{}
					for _, pk := range pluralKeys {
						if _, ok := sub[pk]; ok {
							msg.forms[pk] = true
						}
					}
				}
				if prev, dup := out[lang][id]; dup {
					t.Errorf("%s is defined twice in %s: %s and %s", id, lang, prev.file, msg.file)
				}
				out[lang][id] = msg
			}
		}
		walk("", m)
	}
	return out
}

// msgUse is one place the code asks for a message: a fixed id, or a prefix
// completed at run time ("act." + the journal action).
type msgUse struct {
	id     string
	prefix bool
	suffix string // "prefix"+value+"suffix": what follows the value
	count  bool   // called with a "Count": needs plural forms
	where  string
}

// templateUses finds every {{.L.T "id" …}} and {{$.L.T (print "prefix" …) …}}
// in the page templates, by parsing them.
func templateUses(t *testing.T) []msgUse {
	t.Helper()
	files, _ := fs.Glob(ui.FS, "templates/*.html")
	parts, _ := fs.Glob(ui.FS, "templates/parts/*.html")
	files = append(files, parts...)
	var out []msgUse
	for _, f := range files {
		b, err := fs.ReadFile(ui.FS, f)
		if err != nil {
			t.Fatal(err)
		}
		tr := parse.New(f)
		tr.Mode = parse.SkipFuncCheck
		trees := map[string]*parse.Tree{}
		if _, err := tr.Parse(string(b), "{{", "}}", trees); err != nil {
			t.Fatalf("parse %s: %v", f, err)
		}
		for name, tree := range trees {
			var walk func(n parse.Node)
			walk = func(n parse.Node) {
				switch n := n.(type) {
				case *parse.ListNode:
					if n == nil {
						return
					}
					for _, x := range n.Nodes {
						walk(x)
					}
				case *parse.ActionNode:
					walk(n.Pipe)
				case *parse.IfNode:
					walk(n.Pipe)
					walk(n.List)
					walk(n.ElseList)
				case *parse.RangeNode:
					walk(n.Pipe)
					walk(n.List)
					walk(n.ElseList)
				case *parse.WithNode:
					walk(n.Pipe)
					walk(n.List)
					walk(n.ElseList)
				case *parse.TemplateNode:
					walk(n.Pipe)
				case *parse.PipeNode:
					if n == nil {
						return
					}
					for _, c := range n.Cmds {
						walk(c)
					}
				case *parse.CommandNode:
					if u, ok := templateUse(n); ok {
						u.where = f + " (" + name + ")"
						out = append(out, u)
					}
					for _, a := range n.Args {
						walk(a)
					}
				}
			}
			walk(tree.Root)
		}
	}
	return out
}

// templateUse recognises a translation call: the method T (.L.T, $.L.T)
// or a function t.
func templateUse(n *parse.CommandNode) (msgUse, bool) {
	if len(n.Args) < 2 {
		return msgUse{}, false
	}
	var idents []string
	switch f := n.Args[0].(type) {
	case *parse.FieldNode:
		idents = f.Ident
	case *parse.VariableNode:
		idents = f.Ident
	case *parse.IdentifierNode:
		idents = []string{f.Ident}
	default:
		return msgUse{}, false
	}
	if last := idents[len(idents)-1]; last != "T" && last != "t" {
		return msgUse{}, false
	}
	var u msgUse
	switch a := n.Args[1].(type) {
	case *parse.StringNode:
		u.id = a.Text
	case *parse.FieldNode:
		if a.Ident[len(a.Ident)-1] != "MessageID" {
			return msgUse{id: "?" + a.String()}, true
		}
		u.id, u.prefix = eventMessage, true
	case *parse.PipeNode:
		if len(a.Cmds) != 1 || len(a.Cmds[0].Args) < 2 {
			return msgUse{}, false
		}
		fn, ok1 := a.Cmds[0].Args[0].(*parse.IdentifierNode)
		s, ok2 := a.Cmds[0].Args[1].(*parse.StringNode)
		if !ok1 || !ok2 || fn.Ident != "print" {
			return msgUse{id: "?" + a.String()}, true
		}
		u.id, u.prefix = s.Text, true
	default:
		return msgUse{id: "?" + a.String()}, true
	}
	for i := 2; i < len(n.Args); i += 2 {
		if s, ok := n.Args[i].(*parse.StringNode); ok && s.Text == "Count" {
			u.count = true
		}
	}
	return u, true
}

func setKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// dynamicIDs completes a prefix with every value the code can give it.
// A new prefix must be taught here: the test fails on one it does not know.
func dynamicIDs(t *testing.T, prefix string) ([]string, error) {
	var vals []string
	switch prefix {
	case eventMessage:
		var out []string
		for _, a := range journalActions(t) {
			out = append(out, "act."+a)
		}
		for _, a := range journalActionsFrom(t) {
			out = append(out, "act."+a+"_hidden")
		}
		return out, nil
	case "act.":
		vals = journalActions(t)
	case "actgroup.":
		vals = groupableActions(t)
	case "feed.kind.":
		vals = repo.FeedActions
	case "ok.":
		vals = redirectKeys(t, "ok")
	case "err.":
		vals = redirectKeys(t, "err")
	case "urole.":
		vals = []string{string(acl.Admin), string(acl.Member), string(acl.Guest)}
	case "role.":
		for r := acl.None; r <= acl.Manager; r++ {
			vals = append(vals, r.String())
		}
	case "col.":
		vals = sortKeys
	case "searchx.date_from_":
		vals = dateSources
	case "facet.":
		vals = facetKeys
	case "family.f_", "ftype.f_":
		vals = filetype.Families
	case "extract.":
		vals = extractStates
	case "err.name_msg_":
		vals = nameRules(t)
	case "roles.seed.":
		for _, o := range auth.SeededOffices {
			vals = append(vals, o.Key)
		}
	case "roles.state.":
		vals = []string{string(auth.TermUpcoming), string(auth.TermCurrent), string(auth.TermEnded)}
	case "audit.k_":
		vals = auditKinds
	case "mail.digest.kind.":
		vals = notice.FollowKinds
	case "mailadm.kind.":
		vals = notice.Kinds
	case "mailadm.sec.":
		vals = notice.Securities
	case "unsub.done.", "unsub.what.":
		vals = notice.Scopes
	case "audit.":
		acts := journalActions(t)
		for _, a := range auditWorded {
			if !slices.Contains(acts, a) {
				return nil, fmt.Errorf("auditWorded has %q, which nothing journals", a)
			}
		}
		vals = auditWorded
	case "audit.d_":
		for _, k := range journalDetails(t) {
			if !slices.Contains(auditHidden, k) {
				vals = append(vals, k)
			}
		}
	case "ret.f_":
		vals = ageFields
	case "ret.s_":
		vals = retentionSteps
	case "share.role_help.":
		vals = grantRoles
	case "share.use.":
		// The share panel's history: the share_… actions (repo.ShareHistory).
		for _, a := range journalActions(t) {
			if strings.HasPrefix(a, "share_") {
				vals = append(vals, a)
			}
		}
	case "sharepage.":
		vals = sharePageKeys
	default:
		return nil, fmt.Errorf("message prefix %q: teach dynamicIDs where its values come from", prefix)
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = prefix + v
	}
	return out, nil
}

// TestMessageCatalogue: every message id the templates and the Go code use
// exists in every language, with the plural forms one and other wherever it
// is called with a count; and the languages have the same ids.
func TestMessageCatalogue(t *testing.T) {
	cats := readCatalogues(t)
	if len(cats) != 2 || cats["fr"] == nil || cats["en"] == nil {
		t.Fatalf("languages: want fr and en, have %v", setKeys(func() map[string]bool {
			m := map[string]bool{}
			for l := range cats {
				m[l] = true
			}
			return m
		}()))
	}
	uses := append(templateUses(t), goUses(t)...)
	if len(uses) < 200 {
		t.Fatalf("found only %d message uses: the scan is broken", len(uses))
	}
	type need struct {
		count bool
		where string
	}
	needed := map[string]need{}
	for _, u := range uses {
		if strings.HasPrefix(u.id, "?") {
			t.Errorf("%s: a message id the test cannot resolve (%s): use a literal or \"prefix\"+value", u.where, u.id[1:])
			continue
		}
		ids := []string{u.id}
		if u.prefix {
			var err error
			if ids, err = dynamicIDs(t, u.id); err != nil {
				t.Errorf("%s: %v", u.where, err)
				continue
			}
			for i := range ids {
				ids[i] += u.suffix
			}
		}
		for _, id := range ids {
			n := needed[id]
			n.count = n.count || u.count
			if n.where == "" {
				n.where = u.where
			}
			needed[id] = n
		}
	}
	for _, id := range setKeys(func() map[string]bool {
		m := map[string]bool{}
		for id := range needed {
			m[id] = true
		}
		return m
	}()) {
		n := needed[id]
		for _, lang := range []string{"fr", "en"} {
			msg, ok := cats[lang][id]
			switch {
			case !ok:
				t.Errorf("%s: message %s is missing in %s", n.where, id, lang)
			case n.count && (!msg.forms["one"] || !msg.forms["other"]):
				t.Errorf("%s: message %s is called with a count but has no one/other plural forms in %s (%s)", n.where, id, lang, msg.file)
			}
		}
	}
	for id, m := range cats["fr"] {
		if _, ok := cats["en"][id]; !ok {
			t.Errorf("%s is in French (%s), not in English", id, m.file)
		}
	}
	for id, m := range cats["en"] {
		if _, ok := cats["fr"][id]; !ok {
			t.Errorf("%s is in English (%s), not in French", id, m.file)
		}
	}
}

// The scanners find what they claim to: a known static id, a prefix and a
// count, so an empty scan cannot pass the test above.
func TestMessageCatalogueScanners(t *testing.T) {
	uses := append(templateUses(t), goUses(t)...)
	has := func(want msgUse) bool {
		return slices.ContainsFunc(uses, func(u msgUse) bool {
			return u.id == want.id && u.prefix == want.prefix && u.count == want.count
		})
	}
	for _, want := range []msgUse{
		{id: "login.title"},              // template and Go
		{id: eventMessage, prefix: true}, // activity.html .MessageID
		{id: "search.total", count: true},
		{id: "actgroup.", prefix: true, count: true},
		{id: "col.", prefix: true}, // Go: pg.L.T("col." + k)
	} {
		if !has(want) {
			t.Errorf("scan misses %+v", want)
		}
	}
	acts := journalActions(t)
	for _, a := range []string{"grant_add", "user_passwd", "group_member_add", "tag_rename", "create", "share_view"} {
		if !slices.Contains(acts, a) {
			t.Errorf("journal actions miss %s: %v", a, acts)
		}
	}
	if oks := redirectKeys(t, "ok"); !slices.Contains(oks, "collection_saved") || !slices.Contains(oks, "renamed") {
		t.Errorf("ok keys: %v", oks)
	}
	if errs := redirectKeys(t, "err"); !slices.Contains(errs, "name_slash") || !slices.Contains(errs, "throttled") {
		t.Errorf("err keys: %v", errs)
	}
}

// renderPage executes a page template with data in a language, recording
// every message the catalogue lacked.
func renderPage(t *testing.T, name, lang string, data any) (string, []string) {
	t.Helper()
	v, err := loadViews()
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	v.cat.missing = func(lang, id string, err error) { missing = append(missing, lang+":"+id) }
	tag, _ := supported(lang)
	pg := &page{L: v.cat.locale(tag), User: acl.Principal{UserID: 1, Login: "admin", Role: acl.Admin}, Admin: true, Data: data}
	var b strings.Builder
	if err := v.pages[name].ExecuteTemplate(&b, "layout", pg); err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	return b.String(), missing
}

// Every journal action reads as a sentence on /activity, alone or (those
// that come in bursts) grouped, and no message is missing.
func TestActivityShowsNoRawIDs(t *testing.T) {
	var groups []repo.EventGroup
	for _, a := range journalActions(t) {
		groups = append(groups, repo.EventGroup{Event: repo.Event{Action: a, Actor: "marie", Path: "/Bureau/PV.pdf", NodeID: 1}, Count: 1, Folder: "/Bureau"})
	}
	for _, a := range journalActionsFrom(t) {
		groups = append(groups, repo.EventGroup{Event: repo.Event{Action: a, Actor: "marie", Path: "/Bureau/PV.pdf", NodeID: 1, FromHidden: true}, Count: 1, Folder: "/Bureau"})
	}
	for _, a := range groupableActions(t) {
		for _, n := range []int{2, 3} {
			groups = append(groups, repo.EventGroup{Event: repo.Event{Action: a, Actor: "marie", Path: "/Bureau/PV.pdf", NodeID: 1}, Count: n, Folder: "/Bureau"})
		}
	}
	for _, lang := range []string{"fr", "en"} {
		out, missing := renderPage(t, "activity", lang, struct {
			Groups []repo.EventGroup
			Folder string
		}{groups, ""})
		if len(missing) > 0 {
			t.Errorf("%s: messages missing: %v", lang, missing)
		}
		for _, raw := range []string{"act.", "actgroup."} {
			if strings.Contains(out, raw) {
				i := strings.Index(out, raw)
				t.Errorf("%s: a raw id on /activity: …%s…", lang, out[max(0, i-40):min(len(out), i+60)])
			}
		}
	}
}

// A message the catalogue lacks is shown as its id and reported to the
// missing hook (the server logs it); plural forms are found for 0, 1 and 2.
func TestMissingMessageIsReported(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	cat.missing = func(lang, id string, err error) { got = append(got, lang+":"+id) }
	for _, tag := range languages {
		l := cat.locale(tag)
		for _, n := range []int{0, 1, 2} {
			if s := l.T("tag.count", "Count", n); strings.Contains(s, "tag.count") {
				t.Errorf("%s: tag.count with %d: %q", tag, n, s)
			}
		}
		if s := l.T("no.such_message"); s != "no.such_message" {
			t.Errorf("%s: a missing message shows %q, want its id", tag, s)
		}
		if l.Has("no.such_message") || !l.Has("login.title") {
			t.Errorf("%s: Has is wrong", tag)
		}
	}
	if want := []string{"fr:no.such_message", "en:no.such_message"}; !slices.Equal(got, want) {
		t.Errorf("reported %v, want %v", got, want)
	}
}
