package web

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/repo"
	"notreasso/internal/retention"
)

// Retention in the browser: a folder's version policy in words, its own
// rule (managers set or clear it), the space its files and their older
// versions take, and the versions kept because someone pinned them. The
// trash's purge dates and permanent deletion live here too.

type ageChoice struct {
	Value, Label string
}

type retentionData struct {
	Node      repo.Node
	Effective repo.RetentionRule
	Own       *repo.RetentionRule
	Summary   string
	OwnText   string
	CanEdit   bool
	Space     repo.SpaceUsage
	Kept      []repo.KeptVersion
	Rules     []ruleRow // every rule, on the root's page
	Mode      string    // the form's starting choice
	Fields    []ageField
	Form      policyJSON
}

// ageFields are the age limits of the rule form, in order, each labelled
// ret.f_NAME.
var ageFields = []string{"every_for", "hourly_for", "daily_for", "weekly_for"}

// retentionSteps are the thinning steps after « every version », in order,
// each said by ret.s_STEP (or ret.s_STEP_forever).
var retentionSteps = []string{"hourly", "daily", "weekly"}

// ageField is one age limit of the rule form.
type ageField struct {
	Name, Value string
	Choices     []ageChoice
}

type ruleRow struct {
	Path, Summary, Note, By string
	At                      time.Time
}

func (s *Server) retentionPage(c *fiber.Ctx) error {
	if principal(c).Anonymous() {
		return loginRedirect(c)
	}
	ctx, p := c.UserContext(), principal(c)
	path := "/" + strings.Trim(decodedParam(c), "/")
	n, err := s.repo.Tree.Stat(ctx, p, path)
	if err != nil {
		return err
	}
	eff, own, err := s.repo.History.Retention(ctx, p, path)
	if err != nil {
		return err
	}
	space, err := s.repo.Tree.Space(ctx, p, path)
	if err != nil {
		return err
	}
	kept, err := s.repo.History.KeptVersions(ctx, p, path, 100)
	if err != nil {
		return err
	}
	pg := s.newPage(c, "retention")
	pg.Title = pg.L.T("ret.title")
	d := retentionData{Node: n, Effective: eff, Own: own, Summary: policySummary(pg.L, eff.Policy),
		CanEdit: n.Role >= acl.Manager || p.IsAdmin(), Space: space, Kept: kept}
	if own != nil {
		d.OwnText = policySummary(pg.L, own.Policy)
	}
	if path == "/" {
		rules, err := s.repo.History.RetentionRules(ctx, p)
		if err != nil {
			return err
		}
		for _, r := range rules {
			d.Rules = append(d.Rules, ruleRow{r.Path, policySummary(pg.L, r.Policy), r.Note, r.UpdatedBy, r.UpdatedAt})
		}
	}
	d.Form = toPolicyJSON(eff.Policy, "")
	if own != nil {
		d.Form.Note = own.Note
	}
	d.Mode = d.Form.Keep
	if own == nil {
		d.Mode = "inherit"
	}
	if d.Form.Keep != "schedule" {
		def := toPolicyJSON(s.repo.History.DefaultRetention(), "")
		d.Form.EveryFor, d.Form.HourlyFor, d.Form.DailyFor, d.Form.WeeklyFor = def.EveryFor, def.HourlyFor, def.DailyFor, def.WeeklyFor
	}
	values := map[string]string{"every_for": d.Form.EveryFor, "hourly_for": d.Form.HourlyFor, "daily_for": d.Form.DailyFor, "weekly_for": d.Form.WeeklyFor}
	for _, name := range ageFields {
		d.Fields = append(d.Fields, ageField{Name: name, Value: values[name], Choices: ageChoices(pg.L, values[name])})
	}
	pg.Data = d
	return s.render(c, fiber.StatusOK, "retention", pg)
}

// decodedParam is the wildcard path, percent-decoded.
func decodedParam(c *fiber.Ctx) string {
	v, err := param(c, "*")
	if err != nil {
		return ""
	}
	return v
}

// agePresets are the ages offered in the rule form.
var agePresets = []string{"0", "1h", "6h", "1d", "2d", "7d", "14d", "30d", "90d", "180d", "365d", "730d", "3650d", "forever"}

func ageChoices(l *Locale, cur string) []ageChoice {
	var out []ageChoice
	seen := false
	for _, v := range agePresets {
		d, _ := retention.ParseAge(v)
		if retention.FormatAge(d) == cur {
			seen = true
		}
		out = append(out, ageChoice{retention.FormatAge(d), ageWords(l, d)})
	}
	if !seen && cur != "" {
		if d, err := retention.ParseAge(cur); err == nil {
			out = append(out, ageChoice{cur, ageWords(l, d)})
		}
	}
	return out
}

// ageWords says an age limit: "1 heure", "30 jours", "2 semaines".
func ageWords(l *Locale, d time.Duration) string {
	switch {
	case d == retention.Forever:
		return l.T("ret.forever")
	case d == 0:
		return l.T("ret.none_age")
	case d%retention.Week == 0 && d/retention.Week < 52:
		return l.T("ret.weeks", "Count", int(d/retention.Week))
	case d%retention.Day == 0:
		return l.T("ret.days", "Count", int(d/retention.Day))
	case d%time.Hour == 0:
		return l.T("ret.hours", "Count", int(d/time.Hour))
	}
	return l.T("ret.minutes", "Count", int(d/time.Minute))
}

// policySummary says a policy in one sentence, in the reader's language:
// « Garder toutes les versions pendant 1 heure, puis une par heure jusqu'à
// 1 jour, une par jour jusqu'à 30 jours, puis une par semaine au-delà ;
// au plus 100 versions. » It follows retention.Policy.String.
func policySummary(l *Locale, p retention.Policy) string {
	if p.KeepAll || p.EveryFor == retention.Forever && p.MaxVersions == 0 {
		return l.T("ret.s_all")
	}
	if p.EveryFor == retention.Forever {
		return l.T("ret.s_last", "Count", p.MaxVersions)
	}
	var parts []string
	reached := time.Duration(0)
	if p.EveryFor > 0 {
		parts = append(parts, l.T("ret.s_every", "Age", ageWords(l, p.EveryFor)))
		reached = p.EveryFor
	}
	limits := map[string]time.Duration{"hourly": p.HourlyFor, "daily": p.DailyFor, "weekly": p.WeeklyFor}
	for _, what := range retentionSteps {
		limit := limits[what]
		if limit <= reached {
			continue
		}
		if limit == retention.Forever {
			parts = append(parts, l.T("ret.s_"+what+"_forever"))
		} else {
			parts = append(parts, l.T("ret.s_"+what, "Age", ageWords(l, limit)))
		}
		reached = limit
	}
	if reached != retention.Forever {
		parts = append(parts, l.T("ret.s_nothing_older"))
	}
	out := l.T("ret.s_start") + " " + strings.Join(parts, l.T("ret.s_then"))
	if p.MaxVersions > 0 {
		out += l.T("ret.s_max", "Count", p.MaxVersions)
	}
	return out + "."
}

func (s *Server) setRetentionForm(c *fiber.Ctx) error {
	if principal(c).Anonymous() {
		return loginRedirect(c)
	}
	ctx, p, path := c.UserContext(), principal(c), c.FormValue("path")
	to := "/retention/" + escapePath(path)
	mode := c.FormValue("mode")
	if mode == "inherit" {
		err := s.repo.History.ClearRetention(ctx, p, path)
		if errors.Is(err, repo.ErrNotFound) {
			err = nil // had none: already inherits
		}
		return doneTo(c, to, err, "retention_cleared")
	}
	max, _ := strconv.Atoi(c.FormValue("max_versions"))
	req := policyJSON{Keep: mode, MaxVersions: max, EveryFor: c.FormValue("every_for"), HourlyFor: c.FormValue("hourly_for"),
		DailyFor: c.FormValue("daily_for"), WeeklyFor: c.FormValue("weekly_for")}
	if mode == "last" && max < 1 {
		return redirectMsg(c, to, "err", "retention_max")
	}
	pol, err := req.policy(s.repo.History.DefaultRetention())
	if err != nil {
		return redirectMsg(c, to, "err", "invalid")
	}
	_, err = s.repo.History.SetRetention(ctx, p, path, pol, strings.TrimSpace(c.FormValue("note")))
	return doneTo(c, to, err, "retention_saved")
}

// trashRow is a trash item with when it goes for good.
type trashRow struct {
	repo.TrashItem
	PurgeAt  time.Time // zero: kept until someone deletes it
	CanPurge bool
}

func (s *Server) trashPage(c *fiber.Ctx) error {
	if principal(c).Anonymous() {
		return loginRedirect(c)
	}
	ctx, p := c.UserContext(), principal(c)
	items, err := s.repo.History.Trash(ctx, p)
	if err != nil {
		return err
	}
	expiry, _ := s.cfg.TrashExpiry()
	rows := make([]trashRow, len(items))
	canEmpty := false
	for i, it := range items {
		rows[i] = trashRow{TrashItem: it, CanPurge: it.Role >= acl.Manager || p.IsAdmin()}
		if expiry != retention.Forever {
			rows[i].PurgeAt = it.DeletedAt.Add(expiry)
		}
		canEmpty = canEmpty || rows[i].CanPurge
	}
	var bytes int64
	if p.IsAdmin() {
		u, err := s.repo.Tree.Space(ctx, p, "/")
		if err != nil {
			return err
		}
		bytes = u.TrashBytes
	}
	pg := s.newPage(c, "trash")
	pg.Title = pg.L.T("trash.title")
	expiryText := ""
	if expiry != retention.Forever {
		expiryText = ageWords(pg.L, expiry)
	}
	pg.Data = struct {
		Items    []trashRow
		CanEmpty bool
		Bytes    int64
		Expiry   string
	}{rows, canEmpty, bytes, expiryText}
	return s.render(c, fiber.StatusOK, "trash", pg)
}

// purgeTrashForm deletes one trash item for good (managers of where it
// was, administrators).
func (s *Server) purgeTrashForm(c *fiber.Ctx) error {
	if principal(c).Anonymous() {
		return loginRedirect(c)
	}
	id, err := strconv.ParseInt(c.FormValue("id"), 10, 64)
	if err != nil {
		return redirectMsg(c, "/trash", "err", "not_found")
	}
	_, err = s.repo.History.PurgeTrashItem(c.UserContext(), principal(c), id)
	return doneTo(c, "/trash", err, "purged")
}

// emptyTrashForm deletes for good everything in the trash the caller
// manages: all of it for an administrator.
func (s *Server) emptyTrashForm(c *fiber.Ctx) error {
	if principal(c).Anonymous() {
		return loginRedirect(c)
	}
	ctx, p := c.UserContext(), principal(c)
	if p.IsAdmin() {
		_, err := s.repo.History.EmptyTrash(ctx, p, time.Time{})
		return doneTo(c, "/trash", err, "trash_emptied")
	}
	items, err := s.repo.History.Trash(ctx, p)
	if err != nil {
		return err
	}
	for _, it := range items {
		if it.Role < acl.Manager {
			continue
		}
		// An item inside another one went with it.
		if _, err := s.repo.History.PurgeTrashItem(ctx, p, it.ID); err != nil && !errors.Is(err, repo.ErrNotFound) {
			return doneTo(c, "/trash", err, "")
		}
	}
	return redirectMsg(c, "/trash", "ok", "trash_emptied")
}
