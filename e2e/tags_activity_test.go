package e2e

import (
	"fmt"
	"testing"

	"notreasso/internal/testutil/server"
)

func TestTagAndActivityAPI(t *testing.T) {
	w := newWorld(t, server.Options{})
	w.mustCall(201, "POST", "/api/v1/folders/Partenaires", nil)
	w.mustCall(201, "POST", "/api/v1/folders/Import", nil)
	w.mustCall(200, "POST", "/api/v1/grants/Partenaires", map[string]any{"principal": "group:partenaires", "role": "viewer"})
	w.put("/Partenaires/convention.txt", "c")
	w.put("/Import/pv.txt", "pv")
	for _, p := range []string{"/Partenaires/convention.txt", "/Import/pv.txt"} {
		w.mustCall(200, "PUT", "/api/v1/tags/"+escapePath(p[1:]), map[string]any{"tags": []string{"2026"}})
	}
	// The tag page shows lea only what she may read.
	var tag struct {
		Documents []node `json:"documents"`
	}
	if st := w.users["lea"].call("GET", "/api/v1/tag/2026", nil, &tag); st != 200 || len(tag.Documents) != 1 || tag.Documents[0].Path != "/Partenaires/convention.txt" {
		t.Fatalf("lea's tag page: %d %+v", st, tag)
	}
	// Rename, colour (administrators), merge.
	if st := w.users["marie"].call("PATCH", "/api/v1/tag/2026", map[string]any{"name": "exercice-2026"}, nil); st != 403 {
		t.Fatalf("member renames a tag: %d", st)
	}
	w.mustCall(200, "PATCH", "/api/v1/tag/2026", map[string]any{"name": "exercice-2026", "color": "#00aa00"})
	w.mustCall(200, "PUT", "/api/v1/tags/Import/pv.txt", map[string]any{"tags": []string{"exercice-2026", "ag"}})
	out := w.mustCall(200, "PATCH", "/api/v1/tag/ag", map[string]any{"name": "exercice-2026"})
	if out["color"] != "#00aa00" || len(out["documents"].([]any)) != 2 {
		t.Fatalf("after merge: %v", out)
	}
	var n node
	// Moving keeps tags.
	w.mustCall(200, "POST", "/api/v1/move", map[string]any{"from": "/Import/pv.txt", "to": "/Partenaires/pv.txt"})
	if w.admin.call("GET", "/api/v1/stat/Partenaires/pv.txt", nil, &n); len(n.Tags) != 1 || n.Tags[0] != "exercice-2026" {
		t.Fatalf("tags after move: %v", n.Tags)
	}

	// 12 files imported: one line.
	for i := range 12 {
		w.put(fmt.Sprintf("/Import/photo-%02d.jpg", i), "jpeg")
	}
	var act struct {
		Groups []struct {
			Action string `json:"action"`
			Count  int    `json:"count"`
			Folder string `json:"folder"`
			Actor  string `json:"actor"`
		} `json:"groups"`
	}
	if st := w.admin.call("GET", "/api/v1/activity?folder=/Import", nil, &act); st != 200 || len(act.Groups) == 0 {
		t.Fatalf("activity: %d %+v", st, act)
	}
	if g := act.Groups[0]; g.Action != "create" || g.Count != 12 || g.Folder != "/Import" || g.Actor != "admin" {
		t.Fatalf("first group %+v", g)
	}
	// lea's overall activity names nothing in /Import, not even where
	// pv.txt (which she may read now) was created.
	w.users["lea"].call("GET", "/api/v1/activity", nil, &act)
	for _, g := range act.Groups {
		if g.Folder == "/Import" {
			t.Fatalf("lea sees %+v", g)
		}
	}
	if st, f := fetchFeed(t, w.srv, "/api/v1/feeds/all.atom?token="+leaToken(t, w)); st != 200 || len(entriesMention(f, "Import")) > 0 || len(entriesMention(f, "pv.txt")) == 0 {
		t.Fatalf("lea's feed: %d %v", st, entriesMention(f, "Import"))
	}
	if st := w.users["lea"].call("GET", "/api/v1/activity?folder=/Import", nil, nil); st != 404 {
		t.Fatalf("lea asks for /Import's activity: %d", st)
	}
}

func leaToken(t *testing.T, w *world) string {
	var tok map[string]any
	if st := w.users["lea"].call("POST", "/api/v1/me/feed-token", nil, &tok); st != 201 {
		t.Fatalf("feed token: %d", st)
	}
	return tok["token"].(string)
}
