package repo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
	"notreasso/internal/retention"
)

// RetentionRule is the version policy set on a folder (or a file). It
// applies to everything below, down to the next rule.
type RetentionRule struct {
	Policy    retention.Policy
	Note      string // why, in the words of whoever set it ("statuts: tout garder")
	NodeID    int64  // where the rule is set; 0 for the configured default
	Path      string
	UpdatedAt time.Time
	UpdatedBy string
}

// IsDefault reports whether this is the configured default rather than a
// rule set on a folder.
func (r RetentionRule) IsDefault() bool { return r.NodeID == 0 }

// DefaultRetention is the policy where no folder rule applies.
func (s *History) DefaultRetention() retention.Policy {
	if s.opts.Retention != nil {
		return *s.opts.Retention
	}
	return retention.Default()
}

func (s *core) location() *time.Location {
	if s.opts.Location != nil {
		return s.opts.Location
	}
	return time.UTC
}

// Retention returns the rule that applies at path (set there, on an
// ancestor, or the default) and the rule set on path itself, if any.
// Anyone who may read the node may read its rule.
func (s *History) Retention(ctx context.Context, p acl.Principal, path string) (effective RetentionRule, own *RetentionRule, err error) {
	c, err := s.resolve(ctx, s.db.R, path)
	if err != nil {
		return RetentionRule{}, nil, err
	}
	if _, err := s.need(ctx, s.db.R, p, c, acl.Viewer); err != nil {
		return RetentionRule{}, nil, err
	}
	rules, err := s.rulesOn(ctx, s.db.R, c.ids())
	if err != nil {
		return RetentionRule{}, nil, err
	}
	effective = s.nearestRule(c, rules)
	if r, ok := rules[c.last().id]; ok {
		own = &r
	}
	return effective, own, nil
}

// nearestRule picks the rule of the deepest node of c that has one.
func (s *core) nearestRule(c chain, rules map[int64]RetentionRule) RetentionRule {
	for i := len(c) - 1; i >= 0; i-- {
		if r, ok := rules[c[i].id]; ok {
			r.Path = chain(c[:i+1]).path()
			return r
		}
	}
	return RetentionRule{Policy: s.svc.History.DefaultRetention(), Note: "default"}
}

const ruleCols = `r.node_id, r.keep_all, r.max_versions, r.every_for, r.hourly_for, r.daily_for, r.weekly_for, r.note, r.updated_at, COALESCE(u.login, '')`

func scanRule(sc interface{ Scan(...any) error }) (RetentionRule, error) {
	var r RetentionRule
	var upd int64
	err := sc.Scan(&r.NodeID, &r.Policy.KeepAll, &r.Policy.MaxVersions, &r.Policy.EveryFor, &r.Policy.HourlyFor,
		&r.Policy.DailyFor, &r.Policy.WeeklyFor, &r.Note, &upd, &r.UpdatedBy)
	r.UpdatedAt = meta.Time(upd)
	return r, err
}

// rulesOn loads the rules set on the given nodes (all rules if ids is nil).
func (s *core) rulesOn(ctx context.Context, q querier, ids []int64) (map[int64]RetentionRule, error) {
	query := `SELECT ` + ruleCols + ` FROM retention_rules r LEFT JOIN users u ON u.id = r.updated_by`
	var args []any
	if ids != nil {
		if len(ids) == 0 {
			return map[int64]RetentionRule{}, nil
		}
		query += ` WHERE r.node_id IN (` + placeholders(len(ids)) + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("load retention rules: %w", err)
	}
	defer rows.Close()
	out := map[int64]RetentionRule{}
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, fmt.Errorf("load retention rules: %w", err)
		}
		out[r.NodeID] = r
	}
	return out, rows.Err()
}

// RetentionRules lists every rule set on a live node the caller may read,
// for an overview page.
func (s *History) RetentionRules(ctx context.Context, p acl.Principal) ([]RetentionRule, error) {
	rules, err := s.rulesOn(ctx, s.db.R, nil)
	if err != nil {
		return nil, err
	}
	var out []RetentionRule
	for id, r := range rules {
		c, err := s.chainByID(ctx, s.db.R, id)
		if err != nil || !c.live() {
			continue // in the trash: not in force
		}
		if role, err := s.roleOn(ctx, s.db.R, p, c); err != nil {
			return nil, err
		} else if role < acl.Viewer {
			continue
		}
		r.Path = c.path()
		out = append(out, r)
	}
	sortRules(out)
	return out, nil
}

func sortRules(rs []RetentionRule) {
	slices.SortFunc(rs, func(a, b RetentionRule) int { return strings.Compare(a.Path, b.Path) })
}

// SetRetention sets the rule on path (a folder, or a single file). Only
// managers of the node and administrators may: a rule decides what is
// deleted for everyone below.
func (s *History) SetRetention(ctx context.Context, p acl.Principal, path string, pol retention.Policy, note string) (RetentionRule, error) {
	if err := pol.Validate(); err != nil {
		return RetentionRule{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var id int64
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		c, err := s.resolve(ctx, tx, path)
		if err != nil {
			return err
		}
		if _, err := s.need(ctx, tx, p, c, acl.Manager); err != nil {
			return err
		}
		id = c.last().id
		_, err = tx.ExecContext(ctx, `INSERT INTO retention_rules (node_id, keep_all, max_versions, every_for, hourly_for, daily_for, weekly_for, note, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (node_id) DO UPDATE SET keep_all = excluded.keep_all,
			max_versions = excluded.max_versions, every_for = excluded.every_for, hourly_for = excluded.hourly_for,
			daily_for = excluded.daily_for, weekly_for = excluded.weekly_for, note = excluded.note,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			id, pol.KeepAll, pol.MaxVersions, pol.EveryFor, pol.HourlyFor, pol.DailyFor, pol.WeeklyFor, note, s.now().UnixNano(), actorArg(p))
		if err != nil {
			return fmt.Errorf("save retention rule: %w", err)
		}
		return s.journal(ctx, tx, p, id, "retention_rule", map[string]any{"path": c.path(), "rule": pol.String(), "note": note})
	})
	if err != nil {
		return RetentionRule{}, fmt.Errorf("set retention of %s: %w", path, err)
	}
	s.notify()
	eff, _, err := s.Retention(ctx, p, path)
	return eff, err
}

// ClearRetention removes the rule set on path; the node then follows its
// parent's rule. ErrNotFound if there was none.
func (s *History) ClearRetention(ctx context.Context, p acl.Principal, path string) error {
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		c, err := s.resolve(ctx, tx, path)
		if err != nil {
			return err
		}
		if _, err := s.need(ctx, tx, p, c, acl.Manager); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM retention_rules WHERE node_id = ?`, c.last().id)
		if err != nil {
			return fmt.Errorf("remove retention rule: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%s has no retention rule of its own: %w", c.path(), ErrNotFound)
		}
		return s.journal(ctx, tx, p, c.last().id, "retention_rule", map[string]any{"path": c.path(), "rule": "inherit"})
	})
	if err != nil {
		return fmt.Errorf("clear retention of %s: %w", path, err)
	}
	s.notify()
	return nil
}

// System is the principal of scheduled maintenance (the server's purge
// and collection jobs, CLI maintenance commands): allowed everything an
// administrator is, journaled with no actor and "by": "system".
// It is acl's one system identity.
var System = acl.SystemPrincipal()

type viaKey struct{}

// WithSystemVia names, for the journal, where the system identity's work
// in ctx comes from: "server" for the server's scheduled jobs; without it,
// "cli" (a command run by the operator).
func WithSystemVia(ctx context.Context, via string) context.Context {
	return context.WithValue(ctx, viaKey{}, via)
}

func systemVia(ctx context.Context) string {
	if v, ok := ctx.Value(viaKey{}).(string); ok {
		return v
	}
	return "cli"
}

// isSystem reports whether p is the system identity (no account has it).
func isSystem(p acl.Principal) bool { return p.System }

// needAdmin allows administrators and System.
func needAdmin(p acl.Principal, what string) error {
	if p.IsAdmin() {
		return nil
	}
	if p.Anonymous() {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s is for administrators: %w", what, ErrForbidden)
}
