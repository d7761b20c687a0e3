package indexer

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"notreasso/indexer/extract/testdocs"
	"notreasso/internal/repo"
	"notreasso/internal/testutil/repotest"
)

// Extraction records made before extraction read a document's title and
// date (a first heading, for Markdown) are extracted again once, for the
// formats that carry them; other records stand.
func TestOldExtractionsGetTheirProperties(t *testing.T) {
	ctx := context.Background()
	env := repotest.New(t, repo.Options{})
	x, err := Open(ctx, env.Repo, Options{Dir: filepath.Join(env.Dir, "index")})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	docx, err := testdocs.DOCXWithCore("rapport du bureau", "Rapport moral", "2024-02-01T08:00:00Z", "")
	if err != nil {
		t.Fatal(err)
	}
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
	for _, c := range []struct {
		path    string
		body    []byte
		again   bool
		title   string
		created time.Time
	}{
		{"/rapport.docx", docx, true, "Rapport moral", time.Date(2024, 2, 1, 8, 0, 0, 0, time.UTC)},
		{"/guide.md", []byte("# Guide du trésorier\n\nLes comptes se ferment en mars."), true, "Guide du trésorier", time.Time{}},
		{"/notes.txt", []byte("notes du bureau"), false, "", time.Time{}},
	} {
		n := node(c.path, c.body)
		e, err := x.ensureText(ctx, n, repo.Extraction{}, false)
		if err != nil || e.Title != c.title || !e.Date.Equal(c.created) || !e.Props {
			t.Fatalf("%s: first extraction %+v, %v", c.path, e, err)
		}
		// As written before the properties were read.
		old := e
		old.Title, old.Date, old.Props = "", time.Time{}, false
		if err := env.Repo.Index.PutExtraction(ctx, old); err != nil {
			t.Fatal(err)
		}
		rec, _, err := env.Repo.Index.GetExtraction(ctx, n.Hash)
		if err != nil {
			t.Fatal(err)
		}
		e, err = x.ensureText(ctx, n, rec, true)
		if err != nil {
			t.Fatal(err)
		}
		if c.again {
			if e.Title != c.title || !e.Date.Equal(c.created) || !e.Props {
				t.Errorf("%s: not extracted again: %+v", c.path, e)
			}
			if got, _, _ := env.Repo.Index.GetExtraction(ctx, n.Hash); !got.Props || got.Title != c.title {
				t.Errorf("%s: record not updated: %+v", c.path, got)
			}
		} else if e != rec {
			t.Errorf("%s: a format without properties was extracted again: %+v, was %+v", c.path, e, rec)
		}
	}
}
