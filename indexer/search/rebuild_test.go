package search

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
)

func genDirs(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "gen-") {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestRebuildCommit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ix, err := Open(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if !ix.NeedsRebuild() {
		t.Error("new index: NeedsRebuild = false")
	}
	if err := ix.Apply(ctx, fixture(), nil); err != nil {
		t.Fatal(err)
	}
	rb, err := ix.BeginRebuild()
	if err != nil {
		t.Fatal(err)
	}
	defer rb.Abort()
	if _, err := ix.BeginRebuild(); !errors.Is(err, ErrRebuildInProgress) {
		t.Errorf("second BeginRebuild = %v, want ErrRebuildInProgress", err)
	}
	docs := manyDocs(1100)
	for i := 0; i < len(docs); i += 300 {
		if err := rb.Add(ctx, docs[i:min(i+300, len(docs))]); err != nil {
			t.Fatal(err)
		}
	}
	// Until Commit the old generation serves, and Apply still goes to it.
	if err := ix.Apply(ctx, manyDocs(1), nil); err != nil {
		t.Fatal(err)
	}
	if n, _ := ix.Count(); n != 7 {
		t.Errorf("Count before commit = %d, want 7", n)
	}
	if err := rb.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	rb.Abort() // no-op after Commit
	check := func(ix *Index) {
		t.Helper()
		if n, err := ix.Count(); err != nil || n != 1100 {
			t.Errorf("Count = %d, %v; want 1100", n, err)
		}
		if got := ids(search(t, ix, Query{Text: "statuts", Access: all})); len(got) != 0 {
			t.Errorf("old documents still found: %v", got)
		}
		if res := search(t, ix, Query{Text: "réunion", Access: all}); res.Total != 1100 {
			t.Errorf("new documents: Total = %d, want 1100", res.Total)
		}
		if ix.NeedsRebuild() {
			t.Error("NeedsRebuild after a rebuild")
		}
	}
	check(ix)
	if got := genDirs(t, dir); !slices.Equal(got, []string{"gen-000002"}) {
		t.Errorf("generations on disk = %v, want [gen-000002]", got)
	}
	// Durable: the rebuilt generation was indexed with unsafe batches.
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix, err = Open(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	check(ix)
	if err := ix.Apply(ctx, fixture()[:1], nil); err != nil {
		t.Errorf("Apply after rebuild: %v", err)
	}
}

func TestRebuildInterrupted(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ix, err := Open(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Apply(ctx, fixture(), nil); err != nil {
		t.Fatal(err)
	}

	// Abort: the old index stays, the new generation disappears.
	rb, err := ix.BeginRebuild()
	if err != nil {
		t.Fatal(err)
	}
	if err := rb.Add(ctx, manyDocs(10)); err != nil {
		t.Fatal(err)
	}
	rb.Abort()
	if err := rb.Add(ctx, manyDocs(1)); err == nil {
		t.Error("Add after Abort: no error")
	}
	if got := genDirs(t, dir); !slices.Equal(got, []string{"gen-000001"}) {
		t.Errorf("generations after Abort = %v", got)
	}

	// Crash: the process dies during a rebuild (the generation is left
	// half-written) and during a pointer update (CURRENT.tmp left behind).
	rb, err = ix.BeginRebuild()
	if err != nil {
		t.Fatal(err)
	}
	if err := rb.Add(ctx, manyDocs(10)); err != nil {
		t.Fatal(err)
	}
	rb.sh.close() // as if the process died: no Commit, no Abort
	if err := os.WriteFile(filepath.Join(dir, "CURRENT.tmp"), []byte("gen-000002\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix, err = Open(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if got := ids(search(t, ix, Query{Text: "statuts", Access: all})); len(got) != 3 {
		t.Errorf("after an interrupted rebuild: statuts found in %v, want the 3 old documents", got)
	}
	if n, _ := ix.Count(); n != 6 {
		t.Errorf("Count = %d, want 6", n)
	}
	if got := genDirs(t, dir); !slices.Equal(got, []string{"gen-000001"}) {
		t.Errorf("stray generations not removed: %v", got)
	}
	// And a new rebuild works.
	rb, err = ix.BeginRebuild()
	if err != nil {
		t.Fatal(err)
	}
	if err := rb.Add(ctx, manyDocs(3)); err != nil {
		t.Fatal(err)
	}
	if err := rb.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := ix.Count(); n != 3 {
		t.Errorf("Count after rebuild = %d, want 3", n)
	}
}

func TestOpenMappingVersion(t *testing.T) {
	dir := t.TempDir()
	ix, err := Open(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	rb, err := ix.BeginRebuild()
	if err != nil {
		t.Fatal(err)
	}
	if err := rb.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	ix, err = Open(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if ix.NeedsRebuild() {
		t.Error("reopened current index: NeedsRebuild = true")
	}
	gen := ix.gen
	ix.Close()

	// An index written by code with another mapping version.
	bi, err := bleve.Open(shardDir(filepath.Join(dir, gen), 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := bi.SetInternal([]byte(versionKey), []byte("0")); err != nil {
		t.Fatal(err)
	}
	bi.Close()
	ix, err = Open(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if !ix.NeedsRebuild() {
		t.Error("index with an old mapping version: NeedsRebuild = false")
	}

	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, currentFile), []byte("../../etc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(bad, testLogger(t)); err == nil {
		t.Error("Open with a CURRENT naming no generation: no error")
	}
}

func TestOpenTwiceFails(t *testing.T) {
	defer func(d time.Duration) { lockTimeout = d }(lockTimeout)
	lockTimeout = 200 * time.Millisecond
	dir := t.TempDir()
	ix, err := Open(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if second, err := Open(dir, testLogger(t)); err == nil {
		second.Close()
		t.Fatal("second Open of a locked index: no error")
	}
	// The first is unharmed.
	if err := ix.Apply(context.Background(), fixture(), nil); err != nil {
		t.Fatal(err)
	}
	if n, _ := ix.Count(); n != 6 {
		t.Errorf("Count = %d", n)
	}
}
