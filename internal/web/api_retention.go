package web

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/repo"
	"notreasso/internal/retention"
)

// Retention rules, space used by versions, purges and collection.

func (s *Server) retentionRoutes(api fiber.Router) {
	api.Get("/retention-rules", s.retentionRules)
	api.Get("/retention/*", s.getRetention)
	api.Put("/retention/*", s.setRetention)
	api.Delete("/retention/*", s.clearRetention)
	api.Get("/space/*", s.space)
	api.Get("/space", s.space)
	api.Delete("/trash/:id", s.purgeTrashItem)
	api.Delete("/trash", s.emptyTrash)
	api.Post("/admin/purge", s.adminPurge)
	api.Post("/admin/gc", s.adminGC)
}

// policyJSON is a retention rule as people write it: keep "all", the
// "last" max_versions versions, or a "schedule" of ages ("1h", "30d", "2w",
// "forever").
type policyJSON struct {
	Keep        string `json:"keep"`
	MaxVersions int    `json:"max_versions"`
	EveryFor    string `json:"every_for,omitempty"`
	HourlyFor   string `json:"hourly_for,omitempty"`
	DailyFor    string `json:"daily_for,omitempty"`
	WeeklyFor   string `json:"weekly_for,omitempty"`
	Note        string `json:"note"`
	Description string `json:"description,omitempty"`
}

func toPolicyJSON(p retention.Policy, note string) policyJSON {
	out := policyJSON{Note: note, Description: p.String(), MaxVersions: p.MaxVersions}
	switch {
	case p.KeepAll:
		out.Keep, out.MaxVersions = "all", 0
	case p.EveryFor == retention.Forever:
		out.Keep = "last"
	default:
		out.Keep = "schedule"
		out.EveryFor, out.HourlyFor = retention.FormatAge(p.EveryFor), retention.FormatAge(p.HourlyFor)
		out.DailyFor, out.WeeklyFor = retention.FormatAge(p.DailyFor), retention.FormatAge(p.WeeklyFor)
	}
	return out
}

// policy reads the request; ages left out of a schedule take the default's.
func (j policyJSON) policy(def retention.Policy) (retention.Policy, error) {
	switch j.Keep {
	case "all":
		return retention.Policy{KeepAll: true}, nil
	case "last":
		if j.MaxVersions < 1 {
			return retention.Policy{}, fmt.Errorf("%w: keep \"last\" needs max_versions of 1 or more", errBadRequest)
		}
		return retention.KeepLast(j.MaxVersions), nil
	case "schedule", "":
	default:
		return retention.Policy{}, fmt.Errorf("%w: keep is all, last or schedule", errBadRequest)
	}
	p := def
	p.MaxVersions = j.MaxVersions
	for _, f := range []struct {
		s   string
		dst *time.Duration
	}{{j.EveryFor, &p.EveryFor}, {j.HourlyFor, &p.HourlyFor}, {j.DailyFor, &p.DailyFor}, {j.WeeklyFor, &p.WeeklyFor}} {
		if f.s == "" {
			continue
		}
		d, err := retention.ParseAge(f.s)
		if err != nil {
			return p, fmt.Errorf("%w: %v", errBadRequest, err)
		}
		*f.dst = d
	}
	return p, nil
}

type ruleJSON struct {
	Path      string     `json:"path"` // where the rule is set; "" for the default
	Rule      policyJSON `json:"rule"`
	UpdatedAt *time.Time `json:"updated,omitempty"`
	UpdatedBy string     `json:"updated_by,omitempty"`
}

func toRuleJSON(r repo.RetentionRule) ruleJSON {
	out := ruleJSON{Path: r.Path, Rule: toPolicyJSON(r.Policy, r.Note), UpdatedBy: r.UpdatedBy}
	if !r.UpdatedAt.IsZero() {
		out.UpdatedAt = &r.UpdatedAt
	}
	return out
}

func (s *Server) getRetention(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	eff, own, err := s.repo.History.Retention(c.UserContext(), principal(c), p)
	if err != nil {
		return err
	}
	out := fiber.Map{"path": p, "effective": toRuleJSON(eff), "inherited": own == nil, "default": eff.IsDefault()}
	if own != nil {
		out["own"] = toRuleJSON(*own)
	}
	return c.JSON(out)
}

func (s *Server) setRetention(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	var req policyJSON
	if err := readJSON(c, &req); err != nil {
		return err
	}
	pol, err := req.policy(s.repo.History.DefaultRetention())
	if err != nil {
		return err
	}
	eff, err := s.repo.History.SetRetention(c.UserContext(), principal(c), p, pol, req.Note)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"path": p, "effective": toRuleJSON(eff)})
}

func (s *Server) clearRetention(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	if err := s.repo.History.ClearRetention(c.UserContext(), principal(c), p); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) retentionRules(c *fiber.Ctx) error {
	if err := requireUser(c); err != nil {
		return err
	}
	rules, err := s.repo.History.RetentionRules(c.UserContext(), principal(c))
	if err != nil {
		return err
	}
	out := []ruleJSON{toRuleJSON(repo.RetentionRule{Policy: s.repo.History.DefaultRetention(), Note: "default"})}
	for _, r := range rules {
		out = append(out, toRuleJSON(r))
	}
	return c.JSON(fiber.Map{"rules": out})
}

type spaceJSON struct {
	Path           string      `json:"path"`
	Type           string      `json:"type"`
	Files          int         `json:"files"`
	Versions       int         `json:"versions"`
	CurrentBytes   int64       `json:"current_bytes"`
	HistoryBytes   int64       `json:"history_bytes"`
	PinnedVersions int         `json:"pinned_versions"`
	PinnedBytes    int64       `json:"pinned_bytes"`
	StoredBytes    int64       `json:"stored_bytes,omitempty"`
	TrashBytes     int64       `json:"trash_bytes,omitempty"`
	Children       []spaceJSON `json:"children,omitempty"`
}

func toSpaceJSON(u repo.SpaceUsage) spaceJSON {
	out := spaceJSON{Path: u.Path, Type: map[bool]string{true: "dir", false: "file"}[u.Dir], Files: u.Files, Versions: u.Versions,
		CurrentBytes: u.CurrentBytes, HistoryBytes: u.HistoryBytes, PinnedVersions: u.PinnedVersions, PinnedBytes: u.PinnedBytes,
		StoredBytes: u.StoredBytes, TrashBytes: u.TrashBytes}
	for _, k := range u.Children {
		out.Children = append(out.Children, toSpaceJSON(k))
	}
	return out
}

func (s *Server) space(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	u, err := s.repo.Tree.Space(c.UserContext(), principal(c), p)
	if err != nil {
		return err
	}
	return c.JSON(toSpaceJSON(u))
}

type trashPurgeJSON struct {
	ID       int64  `json:"id"`
	Path     string `json:"original_path"`
	Files    int    `json:"files"`
	Versions int    `json:"versions"`
	Bytes    int64  `json:"bytes"`
}

func (s *Server) purgeTrashItem(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return repo.ErrNotFound
	}
	tp, err := s.repo.History.PurgeTrashItem(c.UserContext(), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(trashPurgeJSON{tp.ID, tp.Path, tp.Files, tp.Versions, tp.Bytes})
}

func (s *Server) emptyTrash(c *fiber.Ctx) error {
	items, err := s.repo.History.EmptyTrash(c.UserContext(), principal(c), time.Time{})
	if err != nil {
		return err
	}
	out := make([]trashPurgeJSON, len(items))
	for i, tp := range items {
		out[i] = trashPurgeJSON{tp.ID, tp.Path, tp.Files, tp.Versions, tp.Bytes}
	}
	return c.JSON(fiber.Map{"purged": out})
}

// adminPurge does what the schedule does: expired trash items, then
// versions. {"dry_run": true} reports without deleting (trash untouched).
func (s *Server) adminPurge(c *fiber.Ctx) error {
	var req struct {
		DryRun bool   `json:"dry_run"`
		Path   string `json:"path"`
	}
	if err := readOptionalJSON(c, &req); err != nil {
		return err
	}
	ctx, p := c.UserContext(), principal(c)
	var trash []trashPurgeJSON
	if !req.DryRun && req.Path == "" {
		expiry, _ := s.cfg.TrashExpiry()
		if expiry != retention.Forever {
			items, err := s.repo.History.EmptyTrash(ctx, p, time.Now().Add(-expiry))
			if err != nil {
				return err
			}
			for _, tp := range items {
				trash = append(trash, trashPurgeJSON{tp.ID, tp.Path, tp.Files, tp.Versions, tp.Bytes})
			}
		}
	}
	rep, err := s.repo.History.PurgeVersions(ctx, p, repo.PurgeOptions{DryRun: req.DryRun, Path: req.Path})
	if err != nil {
		return err
	}
	type removedJSON struct {
		Number  int       `json:"number"`
		Size    int64     `json:"size"`
		Created time.Time `json:"created"`
		Reason  string    `json:"reason"`
	}
	type fileJSON struct {
		Path     string        `json:"path"`
		Rule     string        `json:"rule"`
		RulePath string        `json:"rule_path"`
		Kept     int           `json:"kept"`
		Removed  []removedJSON `json:"removed"`
	}
	files := make([]fileJSON, len(rep.Files))
	for i, f := range rep.Files {
		files[i] = fileJSON{Path: f.Path, Rule: f.Rule, RulePath: f.RulePath, Kept: f.Kept}
		for _, v := range f.Removed {
			files[i].Removed = append(files[i].Removed, removedJSON{v.Number, v.Size, v.CreatedAt, string(v.Reason)})
		}
	}
	return c.JSON(fiber.Map{"dry_run": rep.DryRun, "examined": rep.Examined, "versions": rep.Versions, "bytes": rep.Bytes,
		"files": files, "trash": trash})
}

func (s *Server) adminGC(c *fiber.Ctx) error {
	var req struct {
		DryRun bool `json:"dry_run"`
	}
	if err := readOptionalJSON(c, &req); err != nil {
		return err
	}
	rep, err := s.repo.Maintenance.CollectGarbage(c.UserContext(), principal(c), repo.GCOptions{Grace: s.cfg.GC.Grace, DryRun: req.DryRun})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"dry_run": rep.DryRun, "stored": rep.Stored, "unreferenced": rep.Unreferenced, "orphans": rep.Orphans,
		"young": rep.Young, "deleted": rep.Deleted, "bytes": rep.Bytes, "resumed": rep.Resumed})
}

// readOptionalJSON decodes a JSON body if there is one.
func readOptionalJSON(c *fiber.Ctx, v any) error {
	if len(c.Body()) == 0 && c.Request().Header.ContentLength() <= 0 {
		return nil
	}
	return readJSON(c, v)
}
