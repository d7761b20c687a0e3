package mail

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"notreasso/internal/repo"
	"notreasso/ui"
)

// Templates are ui/mail/NAME.txt (text/template) and ui/mail/NAME.html
// (html/template, inside layout.html); every word comes from the UI's
// message catalogues (ui/i18n/mail.*.toml, and the activity sentences the
// digest shares with the activity page), in the recipient's language.

// Renderer turns a notice into a subject and two bodies.
type Renderer struct {
	bundle *i18n.Bundle
	text   map[string]*texttemplate.Template
	html   map[string]*htmltemplate.Template
	base   string // the server's public URL, without a trailing slash
	site   string // the association's name
	// missing reports a message id no catalogue has (logged by the caller).
	missing func(lang, id string)
}

// NewRenderer parses the embedded templates and catalogues.
func NewRenderer(baseURL, site string) (*Renderer, error) {
	r := &Renderer{base: strings.TrimSuffix(baseURL, "/"), site: site, text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
	r.bundle = i18n.NewBundle(language.French)
	r.bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	files, err := fs.Glob(ui.FS, "i18n/*.toml")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := fs.ReadFile(ui.FS, f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		if _, err := r.bundle.ParseMessageFileBytes(b, path.Base(f)); err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
	}
	layout, err := htmltemplate.ParseFS(ui.FS, "mail/layout.html")
	if err != nil {
		return nil, fmt.Errorf("mail layout: %w", err)
	}
	txts, _ := fs.Glob(ui.FS, "mail/*.txt")
	for _, f := range txts {
		name := strings.TrimSuffix(path.Base(f), ".txt")
		if r.text[name], err = texttemplate.ParseFS(ui.FS, f, "mail/footer.txt.tmpl"); err != nil {
			return nil, fmt.Errorf("mail template %s: %w", f, err)
		}
		h := template(layout)
		if r.html[name], err = h.ParseFS(ui.FS, "mail/"+name+".html"); err != nil {
			return nil, fmt.Errorf("mail template %s.html: %w", name, err)
		}
	}
	return r, nil
}

func template(layout *htmltemplate.Template) *htmltemplate.Template {
	return htmltemplate.Must(layout.Clone())
}

// Locale speaks one language in templates: {{.L.T "id" "Key" value}}.
type Locale struct {
	Lang    string
	loc     *i18n.Localizer
	missing func(lang, id string)
}

func (r *Renderer) locale(lang string) *Locale {
	if lang != "en" {
		lang = "fr"
	}
	return &Locale{Lang: lang, loc: i18n.NewLocalizer(r.bundle, lang), missing: r.missing}
}

// T translates a message id; arguments are name/value pairs, and a
// "Count" pair selects the plural form.
func (l *Locale) T(id string, kv ...any) string {
	cfg := &i18n.LocalizeConfig{MessageID: id}
	if len(kv) > 0 {
		data := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			k, _ := kv[i].(string)
			data[k] = kv[i+1]
			if k == "Count" {
				cfg.PluralCount = kv[i+1]
			}
		}
		cfg.TemplateData = data
	}
	s, err := l.loc.Localize(cfg)
	if err != nil {
		if l.missing != nil {
			l.missing(l.Lang, id)
		}
		return id
	}
	return s
}

var frMonths = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}

// Day is a date in words: « 6 décembre 2026 » / "December 6, 2026".
func (l *Locale) Day(t time.Time) string {
	t = t.Local()
	if l.Lang == "fr" {
		return fmt.Sprintf("%d %s %d", t.Day(), frMonths[t.Month()-1], t.Year())
	}
	return t.Format("January 2, 2006")
}

// Date is a date and time: « 6 décembre 2026 à 07:00 » / "December 6, 2026, 7:00 AM".
func (l *Locale) Date(t time.Time) string {
	t = t.Local()
	if l.Lang == "fr" {
		return fmt.Sprintf("%s à %02d:%02d", l.Day(t), t.Hour(), t.Minute())
	}
	return t.Format("January 2, 2006, 3:04 PM")
}

// view is what every template gets.
type view struct {
	L    *Locale
	Site string
	Base string // public URL, no trailing slash
	D    any    // the notice's own data
	// Unsubscribe is the one-click link of a digest ("" for other mail).
	Unsubscribe string
	// Why says why the person receives this, in the footer.
	Why string
}

// rendered is a message's subject and bodies.
type rendered struct{ Subject, Text, HTML string }

func (r *Renderer) render(lang, name string, subjectArgs []any, data any, why, unsubscribe string) (rendered, error) {
	tt, ok := r.text[name]
	if !ok {
		return rendered{}, fmt.Errorf("no mail template %q", name)
	}
	l := r.locale(lang)
	v := view{L: l, Site: r.site, Base: r.base, D: data, Unsubscribe: unsubscribe, Why: why}
	var text, html bytes.Buffer
	if err := tt.Execute(&text, v); err != nil {
		return rendered{}, fmt.Errorf("render %s mail: %w", name, err)
	}
	if err := r.html[name].ExecuteTemplate(&html, "layout.html", v); err != nil {
		return rendered{}, fmt.Errorf("render %s mail: %w", name, err)
	}
	subject := l.T("mail."+name+".subject", append([]any{"Site", r.site}, subjectArgs...)...)
	return rendered{Subject: subject, Text: text.String(), HTML: html.String()}, nil
}

// Line tells one group of changes as the activity page does: « marie a
// ajouté 3 fichiers dans /Comptes ».
func (l *Locale) Line(g repo.EventGroup) string {
	who := g.Actor
	switch {
	case who != "":
	case g.Dropped && g.Sender != "":
		who = l.T("share.dropped_by", "Name", g.Sender)
	case g.Dropped:
		who = l.T("share.dropped_anon")
	default:
		who = l.T("activity.system")
	}
	if g.Count > 1 {
		return who + " " + l.T("actgroup."+g.Action, "Count", g.Count, "Folder", g.Folder)
	}
	return who + " " + l.T(g.MessageID(), "Path", g.Path, "From", g.From, "Version", g.Version)
}

// Href is the page of a group's document (or its folder, for several),
// relative to the server; "" when it is in the trash.
func (l *Locale) Href(g repo.EventGroup) string {
	if g.Count > 1 {
		return pageFor(g.Folder, true)
	}
	if g.Path == "" || g.Action == "delete" {
		return ""
	}
	return pageFor(g.Path, g.Action == "mkdir")
}

// groupShown is how many documents of a group a digest names.
const groupShown = 10

// FileLink is one document of a group, as a digest lists it.
type FileLink struct{ Name, Href string }

// Files are the first documents of a group of several (none for one).
func (l *Locale) Files(g repo.EventGroup) []FileLink {
	if g.Count < 2 {
		return nil
	}
	var out []FileLink
	for _, p := range g.Paths[:min(len(g.Paths), groupShown)] {
		f := FileLink{Name: baseName(p)}
		if g.Action != "delete" {
			f.Href = pageFor(p, g.Action == "mkdir")
		}
		out = append(out, f)
	}
	return out
}

// More is how many documents of a group Files leaves out.
func (l *Locale) More(g repo.EventGroup) int { return max(0, len(g.Paths)-groupShown) }
