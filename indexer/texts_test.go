package indexer

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"notreasso/internal/repo"
	"notreasso/internal/testutil/repotest"
)

// A text is extracted once for every server sharing the database and the
// blob store: a second indexer (another server's, its own directory) finds
// it without extracting, a server whose claim is in progress is waited
// for, and the sweep of unused content removes the texts of contents that
// are gone and keeps those in use — including the text of a plain-text
// file, which is the file's own bytes.
func TestTextsSharedAndSwept(t *testing.T) {
	ctx := context.Background()
	env := repotest.New(t, repo.Options{})
	open := func(dir string, count *atomic.Int32) *Indexer {
		x, err := Open(ctx, env.Repo, Options{Dir: filepath.Join(env.Dir, dir),
			Hooks: Hooks{Extracted: func(string) { count.Add(1) }}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { x.Close() })
		return x
	}
	var onA, onB atomic.Int32
	a, b := open("a", &onA), open("b", &onB)
	// A format extracted in process (a PDF's worker is the server binary).
	html := []byte("<html><head><title>CR</title></head><body><p>Le compte rendu parle de l'ornithorynque.</p></body></html>")
	node := func(path string, body []byte) repo.IndexNode {
		t.Helper()
		n, _, err := env.Repo.Tree.Put(ctx, env.Admin, path, bytes.NewReader(body), repo.PutOptions{Size: int64(len(body))})
		if err != nil {
			t.Fatal(err)
		}
		files, _, err := env.Repo.Index.IndexFiles(ctx, n.ID)
		if err != nil || len(files) != 1 {
			t.Fatalf("IndexFiles: %v %v", files, err)
		}
		return files[0]
	}
	doc, txt, gone := node("/cr.html", html), node("/notes.txt", []byte("notes du bureau")), node("/brouillon.txt", []byte("brouillon à jeter"))
	for _, n := range []repo.IndexNode{doc, txt, gone} {
		if _, err := a.ensureText(ctx, n, repo.Extraction{}, false); err != nil {
			t.Fatal(err)
		}
	}
	if onA.Load() != 3 {
		t.Fatalf("A extracted %d documents, want 3", onA.Load())
	}
	for _, n := range []repo.IndexNode{doc, txt, gone} {
		e, ok, err := env.Repo.Index.GetExtraction(ctx, n.Hash)
		if err != nil || !ok {
			t.Fatalf("%s: no record: %v", n.Path, err)
		}
		if _, err := b.ensureText(ctx, n, e, true); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := b.texts.read(ctx, doc.Hash, 1000); err != nil || got == "" || !bytes.Contains([]byte(got), []byte("ornithorynque")) {
		t.Fatalf("B reads the page's text as %q, %v", got, err)
	}
	if onB.Load() != 0 {
		t.Errorf("B extracted %d documents A had extracted", onB.Load())
	}

	// A server at work on a content holds it: the others wait for it
	// instead of extracting too, and once it lets go, one of them
	// extracts and the other reads that text.
	other := node("/autre.txt", []byte("un autre texte"))
	if ok, err := env.Repo.Index.ClaimExtraction(ctx, other.Hash, "ailleurs", time.Hour); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	before := onA.Load() + onB.Load()
	var wg sync.WaitGroup
	for _, x := range []*Indexer{a, b} {
		wg.Go(func() {
			if _, err := x.ensureText(ctx, other, repo.Extraction{}, false); err != nil {
				t.Error(err)
			}
		})
	}
	time.Sleep(500 * time.Millisecond)
	if n := onA.Load() + onB.Load() - before; n != 0 {
		t.Errorf("%d extractions of a content another server is extracting", n)
	}
	env.Repo.Index.ReleaseExtraction(ctx, other.Hash, "ailleurs")
	wg.Wait()
	if n := onA.Load() + onB.Load() - before; n != 1 {
		t.Errorf("a content claimed elsewhere was extracted %d times once released, want 1", n)
	}

	// The sweep: a deleted file's content goes, and its text with it.
	if err := env.Repo.Tree.Delete(ctx, env.Admin, "/brouillon.txt"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Repo.History.EmptyTrash(ctx, env.Admin, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Repo.Maintenance.CollectGarbage(ctx, env.Admin, repo.GCOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := env.Repo.Previews.GetPreview(ctx, gone.Hash, repo.PreviewText); ok {
		t.Error("the text of a swept content is still recorded")
	}
	if _, err := env.Blobs.Stat(ctx, gone.Hash); err == nil {
		t.Error("the swept content (its own text) is still stored")
	}
	for _, n := range []repo.IndexNode{doc, txt} {
		p, ok, _ := env.Repo.Previews.GetPreview(ctx, n.Hash, repo.PreviewText)
		if _, err := env.Blobs.Stat(ctx, p.Derived); !ok || err != nil {
			t.Errorf("%s: its text was swept while the file lives (%v, %+v, %v)", n.Path, ok, p, err)
		}
		if got, err := b.texts.read(ctx, n.Hash, 1000); err != nil || got == "" {
			t.Errorf("%s: text after the sweep %q, %v", n.Path, got, err)
		}
	}
	if rep, err := env.Repo.Maintenance.Check(ctx, repo.CheckOptions{}); err != nil || rep.Errors() != 0 {
		t.Errorf("check after the sweep: %+v %v", rep, err)
	}
}
