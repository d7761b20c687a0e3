package repo

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"notreasso/internal/meta"
)

// TestPreviewsCacheAndSweep: a rendering is stored as a blob of its own,
// read through the file's permission check, kept by the sweep while its
// source lives, and swept after the source is.
func TestPreviewsCacheAndSweep(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	clk := e.withClock(time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC))
	e.s.Tree.MkdirAll(ctx, e.admin, "/Fête")
	e.put(t, e.member, "/Fête/affiche.png", "not really a png")
	src := hashOf("not really a png")
	thumb := filepath.Join(t.TempDir(), "thumb")
	os.WriteFile(thumb, []byte("a thumbnail"), 0o600)
	if err := e.s.Previews.PutPreview(ctx, Preview{Source: src, Kind: "thumb", Status: PreviewOK, Mime: "image/jpeg", Width: 320, Height: 200}, thumb); err != nil {
		t.Fatal(err)
	}
	if err := e.s.Previews.PutPreview(ctx, Preview{Source: src, Kind: "table", Status: PreviewNone, Reason: "not a spreadsheet"}, ""); err != nil {
		t.Fatal(err)
	}
	f, pv, ok, err := e.s.Previews.FilePreview(ctx, e.member, "/Fête/affiche.png", 0, "thumb")
	if err != nil || !ok || pv.Derived != hashOf("a thumbnail") || pv.Width != 320 || f.Version.Hash != src {
		t.Fatalf("FilePreview: %+v %v %v", pv, ok, err)
	}
	rc, err := e.s.Previews.PreviewReader(ctx, pv)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "a thumbnail" {
		t.Fatalf("preview content %q", b)
	}
	// The guest may not read /Fête: the same error as Open.
	_, _, _, err = e.s.Previews.FilePreview(ctx, e.guest, "/Fête/affiche.png", 0, "thumb")
	if _, oerr := e.s.History.Open(ctx, e.guest, "/Fête/affiche.png", 0); !errors.Is(err, ErrNotFound) || err.Error() != oerr.Error() {
		t.Fatalf("guest: %v, Open says %v", err, oerr)
	}
	if m, _ := e.s.Previews.GetPreviews(ctx, []string{src, hashOf("other")}, "thumb"); len(m) != 1 || m[src].Status != PreviewOK {
		t.Fatalf("GetPreviews: %+v", m)
	}

	// The sweep keeps the rendering while its source lives.
	clk.set(clk.now().Add(48 * time.Hour))
	if rep, err := e.s.Maintenance.CollectGarbage(ctx, System, GCOptions{Grace: time.Hour}); err != nil || rep.Deleted != 0 {
		t.Fatalf("collect with a live source: %+v %v", rep, err)
	}
	if !e.hasBlob(t, "a thumbnail") {
		t.Fatal("the thumbnail was swept while its source lives")
	}
	// The source goes: its rows go with it, then its rendering.
	if err := e.s.Tree.Delete(ctx, e.member, "/Fête/affiche.png"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.History.EmptyTrash(ctx, System, clk.now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	clk.set(clk.now().Add(2 * time.Hour))
	if _, err := e.s.Maintenance.CollectGarbage(ctx, System, GCOptions{Grace: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := e.s.Previews.GetPreview(ctx, src, "thumb"); ok || e.hasBlob(t, "not really a png") {
		t.Fatal("the source or its preview rows outlived the sweep")
	}
	if !e.hasBlob(t, "a thumbnail") {
		t.Fatal("the rendering went in the same sweep as its source (it is unused only from then on)")
	}
	clk.set(clk.now().Add(2 * time.Hour))
	if _, err := e.s.Maintenance.CollectGarbage(ctx, System, GCOptions{Grace: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if e.hasBlob(t, "a thumbnail") {
		t.Fatal("the rendering of a swept content is never swept")
	}
}

// CurrentPreview reads the rendering of a file's current content in one
// statement: a new version without one has none, its own once stored.
func TestCurrentPreview(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	n := e.put(t, e.admin, "/pv.txt", "première version")
	text := filepath.Join(t.TempDir(), "text")
	os.WriteFile(text, []byte("texte extrait"), 0o600)
	if err := e.s.Previews.PutPreview(ctx, Preview{Source: n.Hash, Kind: PreviewText, Status: PreviewOK, Mime: "text/plain"}, text); err != nil {
		t.Fatal(err)
	}
	if p, ok, err := e.s.Previews.CurrentPreview(ctx, n.ID, PreviewText); !ok || err != nil || p.Source != n.Hash || p.Derived == "" {
		t.Fatalf("CurrentPreview = %+v %v %v, want the text of %s", p, ok, err, n.Hash)
	}
	n2 := e.put(t, e.admin, "/pv.txt", "deuxième version")
	if p, ok, err := e.s.Previews.CurrentPreview(ctx, n2.ID, PreviewText); ok || err != nil {
		t.Fatalf("after a new version: %+v %v %v, want none (the text is the old content's)", p, ok, err)
	}
	if _, ok, err := e.s.Previews.CurrentPreview(ctx, 999999, PreviewText); ok || err != nil {
		t.Fatalf("no such file: %v %v", ok, err)
	}
}

// Reading a file's rendering by the file compares the rendering's content
// hash with the version's: on PostgreSQL both columns must share a
// collation, or the previews index cannot serve and every rendering is
// read, for each search hit's snippet.
func TestCurrentPreviewReadsByKey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	n := e.put(t, e.admin, "/texte.txt", "un texte")
	if _, err := e.s.db.W.ExecContext(ctx, `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 5000)
		INSERT INTO blobs (sha256, size, created_at) SELECT 'h' || i, 1, 0 FROM seq`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.db.W.ExecContext(ctx, `INSERT INTO previews (source, kind, status, derived, created_at)
		SELECT sha256, 'text', 'ok', sha256, 0 FROM blobs`); err != nil {
		t.Fatal(err)
	}
	if e.s.db.Dialect() == meta.Postgres {
		if _, err := e.s.db.W.ExecContext(ctx, `ANALYZE`); err != nil {
			t.Fatal(err)
		}
	}
	plan := queryPlan(t, e, currentPreviewQuery, PreviewText, n.ID)
	if slices.ContainsFunc(plan, func(l string) bool {
		return strings.Contains(l, "Seq Scan on previews") || l == "SCAN previews" || strings.HasPrefix(l, "SCAN previews ")
	}) {
		t.Errorf("a file's rendering is found by scanning every rendering:\n%s", strings.Join(plan, "\n"))
	}
	if p, ok, err := e.s.Previews.CurrentPreview(ctx, n.ID, PreviewText); !ok || err != nil || p.Source != n.Hash {
		t.Errorf("CurrentPreview = %+v %v %v", p, ok, err)
	}
}
