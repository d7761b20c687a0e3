package repo

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestSpace(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.s.Tree.MkdirAll(ctx, e.admin, "/Compta/2026")
	e.s.Tree.Mkdir(ctx, e.admin, "/Photos")
	e.put(t, e.member, "/Compta/2026/bilan.ods", strings.Repeat("a", 100))
	e.put(t, e.member, "/Compta/2026/bilan.ods", strings.Repeat("b", 150))
	e.put(t, e.member, "/Compta/2026/bilan.ods", strings.Repeat("c", 200))
	e.s.History.LabelVersion(ctx, e.member, "/Compta/2026/bilan.ods", 1, "voté par l'AG", true)
	e.put(t, e.member, "/Compta/copie.ods", strings.Repeat("c", 200)) // same content as the current bilan
	e.put(t, e.member, "/Photos/ag.jpg", strings.Repeat("p", 1000))
	e.put(t, e.member, "/jeté.txt", strings.Repeat("j", 70))
	e.s.Tree.Delete(ctx, e.member, "/jeté.txt")

	file, err := e.s.Tree.Space(ctx, e.member, "/Compta/2026/bilan.ods")
	want := SpaceUsage{Path: "/Compta/2026/bilan.ods", Files: 1, Versions: 3, CurrentBytes: 200, HistoryBytes: 250,
		PinnedVersions: 1, PinnedBytes: 100, StoredBytes: 450}
	if err != nil || !sameUsage(file, want) {
		t.Errorf("file:\n got %+v\nwant %+v (%v)", file, want, err)
	}
	compta, err := e.s.Tree.Space(ctx, e.member, "/Compta")
	want = SpaceUsage{Path: "/Compta", Dir: true, Files: 2, Versions: 4, CurrentBytes: 400, HistoryBytes: 250,
		PinnedVersions: 1, PinnedBytes: 100, StoredBytes: 450}
	if err != nil || !sameUsage(compta, want) {
		t.Errorf("folder:\n got %+v\nwant %+v (%v)", compta, want, err)
	}
	if len(compta.Children) != 2 || compta.Children[0].Path != "/Compta/2026" || compta.Children[0].CurrentBytes+compta.Children[0].HistoryBytes != 450 ||
		compta.Children[1].Path != "/Compta/copie.ods" {
		t.Errorf("children, largest first: %+v", compta.Children)
	}
	root, err := e.s.Tree.Space(ctx, e.admin, "/")
	if err != nil || root.Files != 3 || root.StoredBytes != 1450 || root.TrashBytes != 70 || len(root.Children) != 2 || root.Children[0].Path != "/Photos" {
		t.Errorf("root: %+v %v", root, err)
	}
	if _, err := e.s.Tree.Space(ctx, e.guest, "/Compta"); !errors.Is(err, ErrNotFound) {
		t.Errorf("guest: %v", err)
	}
}

func sameUsage(a, b SpaceUsage) bool {
	return a.Path == b.Path && a.Dir == b.Dir && a.Files == b.Files && a.Versions == b.Versions && a.CurrentBytes == b.CurrentBytes &&
		a.HistoryBytes == b.HistoryBytes && a.PinnedVersions == b.PinnedVersions && a.PinnedBytes == b.PinnedBytes &&
		a.StoredBytes == b.StoredBytes && a.TrashBytes == b.TrashBytes
}
