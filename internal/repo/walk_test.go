package repo

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestWalkDepths: paths resolve the same at every depth, on both sides of
// maxFlatWalk (point lookups up to it, the recursive query past it):
// through live folders only (a trashed folder of the same name is not
// followed), stopping at the first missing name, never through a file.
func TestWalkDepths(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var names []string
	for i := range maxFlatWalk + 3 {
		names = append(names, string(rune('a'+i))+"é")
	}
	deepest := "/" + strings.Join(names, "/")
	if _, err := e.s.Tree.MkdirAll(ctx, e.admin, deepest); err != nil {
		t.Fatal(err)
	}
	// A trashed twin of the second level, made and deleted before the live
	// one would be in its way: the walk must never follow it.
	if _, err := e.s.Tree.Mkdir(ctx, e.admin, "/"+names[0]+"/twin"); err != nil {
		t.Fatal(err)
	}
	if err := e.s.Tree.Delete(ctx, e.admin, "/"+names[0]+"/twin"); err != nil {
		t.Fatal(err)
	}
	e.put(t, e.admin, "/"+names[0]+"/"+names[1]+"/fichier.txt", "contenu")
	for d := 0; d <= len(names); d++ {
		p := "/" + strings.Join(names[:d], "/")
		c, err := e.s.resolve(ctx, e.s.db.R, p)
		if err != nil {
			t.Fatalf("depth %d: %v", d, err)
		}
		if len(c) != d+1 || c[0].id != RootID || strings.Join(namesOf(c), "/") != strings.Join(names[:d], "/") {
			t.Errorf("depth %d: chain %v", d, namesOf(c))
		}
		for i := 1; i < len(c); i++ {
			if c[i].parent != c[i-1].id {
				t.Errorf("depth %d: level %d's parent is %d, not level %d's id %d", d, i, c[i].parent, i-1, c[i-1].id)
			}
		}
		// One name further that does not exist: not found, at every depth.
		if _, err := e.s.resolve(ctx, e.s.db.R, strings.TrimSuffix(p, "/")+"/absent"); !errors.Is(err, ErrNotFound) {
			t.Errorf("depth %d + absent: %v", d, err)
		}
		// A missing name in the middle stops the walk there.
		if d >= 2 {
			mid := append(append([]string{}, names[:d]...), "")
			mid[d-1] = "absent"
			if _, err := e.s.resolve(ctx, e.s.db.R, "/"+strings.Join(mid[:d], "/")); !errors.Is(err, ErrNotFound) {
				t.Errorf("depth %d, missing level %d: %v", d, d-1, err)
			}
		}
	}
	for _, p := range []string{"/" + names[0] + "/twin", "/" + names[0] + "/twin/x", "/" + names[0] + "/" + names[1] + "/fichier.txt/x"} {
		if _, err := e.s.resolve(ctx, e.s.db.R, p); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v, want not found", p, err)
		}
	}
	pc, c, err := e.s.resolveChild(ctx, e.s.db.R, "/"+names[0]+"/"+names[1], "fichier.txt")
	if err != nil || len(pc) != 3 || len(c) != 4 || c[3].name != "fichier.txt" {
		t.Errorf("resolveChild: %v %v %v", namesOf(pc), namesOf(c), err)
	}
}
