package transfer

import (
	"context"
	"time"

	"notreasso/internal/repo"
)

// The records of metadata.jsonl. Every line has a "type".

type headerJSON struct {
	Type        string    `json:"type"` // "export"
	Format      string    `json:"format"`
	Created     time.Time `json:"created"`
	From        string    `json:"from"`
	By          string    `json:"by"`
	AllVersions bool      `json:"all_versions"`
	Layout      string    `json:"layout"`
}

type userJSON struct {
	Type        string    `json:"type"` // "user"
	Login       string    `json:"login"`
	DisplayName string    `json:"display_name,omitempty"`
	Email       string    `json:"email,omitempty"`
	Role        string    `json:"role"`
	Disabled    bool      `json:"disabled,omitempty"`
	Created     time.Time `json:"created"`
}

type groupJSON struct {
	Type    string   `json:"type"` // "group"
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

type roleJSON struct {
	Type        string `json:"type"` // "role"
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Deleted     bool   `json:"deleted,omitempty"`
}

// termJSON is one line of the register of terms of office.
type termJSON struct {
	Type     string    `json:"type"` // "term"
	Role     string    `json:"role"`
	Login    string    `json:"login"`
	Holder   string    `json:"holder,omitempty"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end,omitzero"`
	Decision string    `json:"decision,omitempty"`
}

type grantJSON struct {
	To   string `json:"to"` // "user:marie", "group:bureau", "members", "public"
	Role string `json:"role"`
}

type ruleJSON struct {
	Rule        string `json:"rule"`
	Note        string `json:"note,omitempty"`
	KeepAll     bool   `json:"keep_all"`
	MaxVersions int    `json:"max_versions"`
	EveryFor    string `json:"every_for"`
	HourlyFor   string `json:"hourly_for"`
	DailyFor    string `json:"daily_for"`
	WeeklyFor   string `json:"weekly_for"`
}

type versionJSON struct {
	Number   int       `json:"number"`
	Hash     string    `json:"sha256"`
	Size     int64     `json:"size"`
	Mime     string    `json:"mime"`
	Author   string    `json:"author,omitempty"`
	Created  time.Time `json:"created"`
	Modified time.Time `json:"modified"`
	Label    string    `json:"label,omitempty"`
	Pinned   bool      `json:"pinned,omitempty"`
	Current  bool      `json:"current,omitempty"`
	File     string    `json:"file,omitempty"` // where the content is, relative to the export
}

type nodeJSON struct {
	Type      string        `json:"type"` // "folder" or "file"
	Path      string        `json:"path"`
	File      string        `json:"file,omitempty"`
	Size      int64         `json:"size,omitempty"`
	Hash      string        `json:"sha256,omitempty"`
	Mime      string        `json:"mime,omitempty"`
	Modified  time.Time     `json:"modified"`
	Tags      []string      `json:"tags,omitempty"`
	Grants    []grantJSON   `json:"grants,omitempty"`
	Retention *ruleJSON     `json:"retention,omitempty"`
	Versions  []versionJSON `json:"versions,omitempty"`
}

const layout = "files/: the latest version of every file, folders as they are; versions/<path>/v<N>.<ext>: older versions (with all_versions); " +
	"metadata.jsonl: this file, one JSON object per line"

// header writes the first records: the export itself, then, for an
// administrator, accounts, groups, and the grants and rules to attach to
// nodes.
func (ex *exporter) header(ctx context.Context, top repo.Node) error {
	if err := ex.emit(headerJSON{Type: "export", Format: ExportFormat, Created: time.Now().UTC(), From: top.Path,
		By: ex.o.As.Login, AllVersions: ex.o.AllVersions, Layout: layout}); err != nil {
		return err
	}
	rules, err := ex.r.History.RetentionRules(ctx, ex.o.As)
	if err != nil {
		return err
	}
	ex.rules = map[string]repo.RetentionRule{}
	for _, r := range rules {
		ex.rules[r.Path] = r
	}
	if !ex.o.As.IsAdmin() {
		return ex.emit(nodeJSON{Type: "folder", Path: top.Path, Modified: top.ModTime, Tags: top.Tags})
	}
	pr, err := ex.r.Maintenance.ExportPrincipals(ctx, ex.o.As)
	if err != nil {
		return err
	}
	for _, u := range pr.Users {
		if err := ex.emit(userJSON{Type: "user", Login: u.Login, DisplayName: u.DisplayName, Email: u.Email,
			Role: u.Role, Disabled: u.Disabled, Created: u.Created}); err != nil {
			return err
		}
	}
	for _, g := range pr.Groups {
		if err := ex.emit(groupJSON{Type: "group", Name: g.Name, Members: g.Members}); err != nil {
			return err
		}
	}
	for _, r := range pr.Roles {
		if err := ex.emit(roleJSON{Type: "role", Name: r.Name, Description: r.Description, Deleted: r.Deleted}); err != nil {
			return err
		}
	}
	for _, t := range pr.Terms {
		if err := ex.emit(termJSON{Type: "term", Role: t.Role, Login: t.Login, Holder: t.Holder, Start: t.Start, End: t.End, Decision: t.Decision}); err != nil {
			return err
		}
	}
	ex.grants = map[int64][]grantJSON{}
	for id, gs := range pr.Grants {
		for _, g := range gs {
			ex.grants[id] = append(ex.grants[id], grantJSON{To: g.To, Role: g.Role})
		}
	}
	// The exported folder's own grants, and those it inherits, apply to
	// everything in it: record them on its line.
	return ex.emit(nodeJSON{Type: "folder", Path: top.Path, Modified: top.ModTime, Tags: top.Tags, Grants: ex.inherited(ctx, top)})
}

// inherited lists the grants on top and its ancestors.
func (ex *exporter) inherited(ctx context.Context, top repo.Node) []grantJSON {
	var out []grantJSON
	for p := top.Path; ; p = parentOf(p) {
		if n, err := ex.r.Tree.Stat(ctx, ex.o.As, p); err == nil {
			out = append(out, ex.grants[n.ID]...)
		}
		if p == "/" {
			return out
		}
	}
}
