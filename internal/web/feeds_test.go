package web

import (
	"testing"

	"golang.org/x/text/language"

	"notreasso/internal/repo"
)

// TestFeedAndActivityMessages: every change a feed or the grouped activity
// can show has its words in both languages (a missing one would show its id).
func TestFeedAndActivityMessages(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []*Locale{cat.locale(language.French), cat.locale(language.English)} {
		ids := []string{}
		for _, a := range repo.FeedActions {
			ids = append(ids, "feed.kind."+a, "act."+a)
		}
		for _, a := range []string{"create", "version", "mkdir", "move", "copy", "delete", "restore", "tag"} {
			ids = append(ids, "actgroup."+a)
		}
		for _, a := range []string{"collection_create", "collection_update", "collection_items", "collection_delete",
			"feed_token", "tag_rename", "tag_merge", "tag_color"} {
			ids = append(ids, "act."+a)
		}
		for _, id := range ids {
			if got := l.T(id, "Count", 2, "Folder", "/x", "Path", "/x/y", "From", "/z", "Version", 2); got == id {
				t.Errorf("%s: no message %s", l.Lang(), id)
			}
		}
	}
}
