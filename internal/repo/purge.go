package repo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
	"notreasso/internal/retention"
)

// PurgeOptions qualifies a version purge.
type PurgeOptions struct {
	DryRun bool   // report what would go, remove nothing
	Path   string // only files below this folder; "" for everything
}

// PurgedVersion is one version a purge removed (or would remove).
type PurgedVersion struct {
	Number    int
	Size      int64
	CreatedAt time.Time
	Reason    retention.Reason
}

// PurgedFile is what a purge took from one file.
type PurgedFile struct {
	NodeID   int64
	Path     string
	Rule     string // the policy applied, in words
	RulePath string // the folder the rule is set on; "" for the default
	Removed  []PurgedVersion
	Kept     int
}

// PurgeReport sums up a version purge.
type PurgeReport struct {
	DryRun   bool
	Examined int // files with more than one version
	Versions int // versions removed
	Bytes    int64
	Files    []PurgedFile // files that lost versions
}

// PurgeVersions applies the retention rules: each file's versions that its
// rule does not keep are deleted, one transaction and one journal entry
// ("purge_versions") per file. Current, pinned and labelled versions are
// never removed. Their content stays in the blob store until the garbage
// collector finds it unused. Administrators and System only.
func (s *History) PurgeVersions(ctx context.Context, p acl.Principal, o PurgeOptions) (PurgeReport, error) {
	rep := PurgeReport{DryRun: o.DryRun}
	if err := needAdmin(p, "purging versions"); err != nil {
		return rep, err
	}
	var within int64
	if o.Path != "" {
		c, err := s.resolve(ctx, s.db.R, o.Path)
		if err != nil {
			return rep, err
		}
		within = c.last().id
	}
	ids, err := s.multiVersionFiles(ctx)
	if err != nil {
		return rep, err
	}
	rules, err := s.rulesOn(ctx, s.db.R, nil)
	if err != nil {
		return rep, err
	}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		c, err := s.chainByID(ctx, s.db.R, id)
		if err != nil || (within != 0 && !slices.Contains(c.ids(), within)) {
			continue
		}
		rep.Examined++
		pf, err := s.planPurge(ctx, s.db.R, c, rules)
		if err != nil {
			return rep, err
		}
		if len(pf.Removed) == 0 {
			continue
		}
		if !o.DryRun {
			// Decide again inside the transaction: a save, a pin or a new
			// rule may have landed since the plan was made.
			if pf, err = s.purgeFile(ctx, p, id); err != nil {
				return rep, err
			}
		}
		if len(pf.Removed) > 0 {
			rep.Files = append(rep.Files, pf)
			rep.Versions += len(pf.Removed)
			for _, v := range pf.Removed {
				rep.Bytes += v.Size
			}
		}
	}
	if !o.DryRun && rep.Versions > 0 {
		s.notify()
	}
	return rep, nil
}

func (s *core) multiVersionFiles(ctx context.Context) ([]int64, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT node_id FROM versions GROUP BY node_id HAVING count(*) > 1 ORDER BY node_id`)
	if err != nil {
		return nil, fmt.Errorf("list files with versions: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

type policyVersion struct {
	retention.Version
	number int
	size   int64
}

// planPurge decides, for the file at the end of c, which versions go.
func (s *core) planPurge(ctx context.Context, q querier, c chain, rules map[int64]RetentionRule) (PurgedFile, error) {
	f := c.last()
	rule := s.nearestRule(c, rules)
	pf := PurgedFile{NodeID: f.id, Path: c.path(), Rule: rule.Policy.String(), RulePath: rule.Path}
	rows, err := q.QueryContext(ctx, `SELECT id, number, size, created_at, pinned <> 0 OR label <> '' FROM versions WHERE node_id = ?`, f.id)
	if err != nil {
		return pf, fmt.Errorf("versions of %s: %w", pf.Path, err)
	}
	defer rows.Close()
	var vs []policyVersion
	for rows.Next() {
		var v policyVersion
		var created int64
		if err := rows.Scan(&v.ID, &v.number, &v.size, &created, &v.Protected); err != nil {
			return pf, fmt.Errorf("versions of %s: %w", pf.Path, err)
		}
		v.CreatedAt = meta.Time(created)
		v.Current = v.ID == f.verID.Int64
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return pf, err
	}
	in := make([]retention.Version, len(vs))
	for i, v := range vs {
		in[i] = v.Version
	}
	for i, d := range retention.Decide(in, rule.Policy, s.now(), s.location()) {
		if d.Keep {
			pf.Kept++
			continue
		}
		pf.Removed = append(pf.Removed, PurgedVersion{Number: vs[i].number, Size: vs[i].size, CreatedAt: d.CreatedAt, Reason: d.Reason})
	}
	slices.SortFunc(pf.Removed, func(a, b PurgedVersion) int { return a.Number - b.Number })
	return pf, nil
}

// purgeFile removes, in one transaction, the versions of node id that its
// rule does not keep, and journals them.
func (s *core) purgeFile(ctx context.Context, p acl.Principal, id int64) (PurgedFile, error) {
	var pf PurgedFile
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		c, err := s.chainByID(ctx, tx, id)
		if err != nil {
			return err
		}
		rules, err := s.rulesOn(ctx, tx, c.ids())
		if err != nil {
			return err
		}
		if pf, err = s.planPurge(ctx, tx, c, rules); err != nil || len(pf.Removed) == 0 {
			return err
		}
		numbers := make([]any, 0, len(pf.Removed)+1)
		numbers = append(numbers, id)
		var bytes int64
		detail := make([]map[string]any, len(pf.Removed))
		for i, v := range pf.Removed {
			numbers = append(numbers, v.Number)
			bytes += v.Size
			detail[i] = map[string]any{"version": v.Number, "size": v.Size, "created": v.CreatedAt, "reason": v.Reason}
		}
		// The content was last referenced now: the collector's grace period
		// starts here, so it outlives the latest backup snapshot.
		if _, err := tx.ExecContext(ctx, `UPDATE blobs SET last_used_at = ? WHERE sha256 IN
			(SELECT blob FROM versions WHERE node_id = ? AND number IN (`+placeholders(len(pf.Removed))+`))`,
			append([]any{s.now().UnixNano()}, numbers...)...); err != nil {
			return fmt.Errorf("purge versions of %s: %w", pf.Path, err)
		}
		// The guards repeat what the policy promises, in SQL.
		if _, err := tx.ExecContext(ctx, `DELETE FROM versions WHERE node_id = ? AND number IN (`+placeholders(len(pf.Removed))+`)
			AND pinned = 0 AND label = '' AND id <> (SELECT COALESCE(current_version_id, 0) FROM nodes WHERE id = versions.node_id)`,
			numbers...); err != nil {
			return fmt.Errorf("purge versions of %s: %w", pf.Path, err)
		}
		return s.journal(ctx, tx, p, id, "purge_versions", map[string]any{"path": pf.Path, "removed": detail, "bytes": bytes,
			"rule": pf.Rule, "rule_path": pf.RulePath, "by": byWhom(p)})
	})
	if err != nil {
		return PurgedFile{}, fmt.Errorf("purge versions of node %d: %w", id, err)
	}
	return pf, nil
}

func byWhom(p acl.Principal) string {
	if isSystem(p) {
		return "system"
	}
	return p.Login
}
