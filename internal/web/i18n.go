package web

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/gofiber/fiber/v2"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"

	"notreasso/internal/units"
	"notreasso/ui"
)

// langCookie holds the visitor's language choice; it beats Accept-Language.
const langCookie = "notreasso_lang"

// Languages the UI speaks, French first: it is the default.
var languages = []language.Tag{language.French, language.English}

var langMatcher = language.NewMatcher(languages)

// catalog is the parsed message files. missing reports a message id the
// code asked for that no catalogue has (logged by the server, so a raw id
// on a page is never silent).
type catalog struct {
	bundle  *i18n.Bundle
	missing func(lang, id string, err error)
}

func loadCatalog() (*catalog, error) {
	b := i18n.NewBundle(language.French)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	files, err := fs.Glob(ui.FS, "i18n/*.toml")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := fs.ReadFile(ui.FS, f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		if _, err := b.ParseMessageFileBytes(data, path.Base(f)); err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
	}
	return &catalog{bundle: b}, nil
}

// Locale is what a page needs to speak the visitor's language: messages,
// numbers, sizes and dates.
type Locale struct {
	Tag     language.Tag
	loc     *i18n.Localizer
	print   *message.Printer
	missing func(lang, id string, err error)
}

func (c *catalog) locale(tag language.Tag) *Locale {
	return &Locale{Tag: tag, loc: i18n.NewLocalizer(c.bundle, tag.String()), print: message.NewPrinter(tag), missing: c.missing}
}

// pickLanguage chooses the language of a request: the visitor's explicit
// choice (cookie, set from the account at login), else Accept-Language.
func pickLanguage(c *fiber.Ctx) language.Tag {
	if v := c.Cookies(langCookie); v != "" {
		if t, ok := supported(v); ok {
			return t
		}
	}
	prefs, _, _ := language.ParseAcceptLanguage(c.Get(fiber.HeaderAcceptLanguage))
	_, i, conf := langMatcher.Match(prefs...)
	if conf == language.No {
		return languages[0]
	}
	return languages[i]
}

// supported maps "fr", "en", "en-GB"… to a UI language.
func supported(s string) (language.Tag, bool) {
	t, err := language.Parse(s)
	if err != nil {
		return language.Und, false
	}
	base, _ := t.Base()
	for _, l := range languages {
		if lb, _ := l.Base(); lb == base {
			return l, true
		}
	}
	return language.Und, false
}

// Lang is the BCP 47 code for the html lang attribute.
func (l *Locale) Lang() string { return l.Tag.String() }

// T translates a message id. Arguments are name/value pairs for the
// message's template; a "Count" pair also selects the plural form.
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
		// A missing message (or plural form) shows its id: visible, never
		// fatal, and reported so it is fixed.
		if l.missing != nil {
			l.missing(l.Tag.String(), id, err)
		}
		return id
	}
	return s
}

// Has reports whether the catalogue has a message, for labels that fall
// back to a raw value (a search facet's term) when there is none.
func (l *Locale) Has(id string) bool {
	_, err := l.loc.Localize(&i18n.LocalizeConfig{MessageID: id})
	return err == nil
}

// Num formats an integer with the locale's grouping.
func (l *Locale) Num(n int64) string { return l.print.Sprint(number.Decimal(n)) }

// Size formats a byte count in the locale's units: 1,5 Mo / 1.5 MB.
func (l *Locale) Size(n int64) string { return units.SizeWith(l.print, l.Tag, n) }

var frMonths = [...]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}

// Date formats a time in the locale's style, in the server's zone:
// "28 nov. 2026 à 19:05" / "Nov 28, 2026, 7:05 PM". Zero is empty.
func (l *Locale) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.Local()
	if b, _ := l.Tag.Base(); b.String() == "fr" {
		return fmt.Sprintf("%d %s %d à %02d:%02d", t.Day(), frMonths[t.Month()-1], t.Year(), t.Hour(), t.Minute())
	}
	return t.Format("Jan 2, 2006, 3:04 PM")
}

// Day formats a date without the time: "28 nov. 2026" / "Nov 28, 2026".
func (l *Locale) Day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.Local()
	if b, _ := l.Tag.Base(); b.String() == "fr" {
		return fmt.Sprintf("%d %s %d", t.Day(), frMonths[t.Month()-1], t.Year())
	}
	return t.Format("Jan 2, 2006")
}

// ISO is the machine-readable form for <time datetime>.
func (l *Locale) ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Other names the other language, for the switcher.
func (l *Locale) Other() string {
	if b, _ := l.Tag.Base(); b.String() == "fr" {
		return "en"
	}
	return "fr"
}

func langName(code string) string {
	switch strings.ToLower(code) {
	case "fr":
		return "Français"
	case "en":
		return "English"
	}
	return code
}
