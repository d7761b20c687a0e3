package repo

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Put answers with the file as the transaction wrote it, without reading
// it back: that answer must be what Stat reads afterwards, for a new file,
// a new version (with tags), the same bytes saved again, a member and an
// administrator.
func TestPutAnswersWhatStatReads(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.s.Tree.Mkdir(ctx, e.admin, "/Dossier"); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	steps := []struct {
		name    string
		who     string
		content string
		tags    []string
		mtime   time.Time
	}{
		{"a new file", "member", "bonjour", nil, time.Time{}},
		{"a new version", "member", "bonjour, le monde", []string{"budget"}, mtime},
		{"the same bytes again", "member", "bonjour, le monde", nil, mtime.Add(time.Hour)},
		{"a new version by an administrator", "admin", strings.Repeat("x", 5000), nil, time.Time{}},
	}
	for _, st := range steps {
		p := e.member
		if st.who == "admin" {
			p = e.admin
		}
		got, _, err := e.s.Tree.Put(ctx, p, "/Dossier/note.txt", strings.NewReader(st.content), PutOptions{Size: int64(len(st.content)), ModTime: st.mtime})
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		want, err := e.s.Tree.Stat(ctx, p, "/Dossier/note.txt")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Put answered\n%+v\nStat reads\n%+v", st.name, got, want)
		}
		if st.tags != nil {
			if _, err := e.s.Tree.SetTags(ctx, p, "/Dossier/note.txt", st.tags); err != nil {
				t.Fatal(err)
			}
		}
	}
}
