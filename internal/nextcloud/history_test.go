package nextcloud

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"notreasso/internal/acl"
)

// The mobile apps' versions and trash: listed, an old version downloaded
// and restored, a trashed file restored; another account sees nothing.
func TestVersionsAndTrash(t *testing.T) {
	e := newEnv(t)
	const f = "/remote.php/dav/files/marie/budget.txt"
	for _, body := range []string{"budget v1", "budget v2"} {
		if st, _, _ := e.do("marie", "PUT", f, strings.NewReader(body), nil); st != 201 && st != 204 {
			t.Fatalf("PUT: %d", st)
		}
	}
	n, err := e.repo.Tree.Stat(context.Background(), acl.SystemPrincipal(), "/budget.txt")
	if err != nil {
		t.Fatal(err)
	}
	vs := "/remote.php/dav/versions/marie/versions/" + strconv.FormatInt(n.ID, 10)
	st, body, _ := e.do("marie", "PROPFIND", vs, nil, map[string]string{"Depth": "1"})
	if st != 207 || strings.Count(body, "<d:response>") != 2 || !strings.Contains(body, vs+"/1</d:href>") {
		t.Fatalf("versions: %d %s", st, body)
	}
	if st, got, _ := e.do("marie", "GET", vs+"/1", nil, nil); st != 200 || got != "budget v1" {
		t.Errorf("old version: %d %q", st, got)
	}
	if st, _, _ := e.do("admin", "PROPFIND", "/remote.php/dav/versions/marie/versions/1", nil, nil); st != 403 {
		t.Errorf("admin on marie's versions URL: %d, want 403", st)
	}
	dest := map[string]string{"Destination": e.url + "/remote.php/dav/versions/marie/restore/target"}
	if st, _, _ := e.do("marie", "MOVE", vs+"/1", nil, dest); st != 204 {
		t.Fatalf("restore version: %d", st)
	}
	if _, got, _ := e.do("marie", "GET", f, nil, nil); got != "budget v1" {
		t.Errorf("after restoring version 1: %q", got)
	}

	if st, _, _ := e.do("marie", "DELETE", f, nil, nil); st != 204 {
		t.Fatalf("DELETE: %d", st)
	}
	const trash = "/remote.php/dav/trashbin/marie/trash"
	st, body, _ = e.do("marie", "PROPFIND", trash, nil, map[string]string{"Depth": "1"})
	if st != 207 || !strings.Contains(body, "<nc:trashbin-filename>budget.txt</nc:trashbin-filename>") ||
		!strings.Contains(body, "<nc:trashbin-original-location>budget.txt</nc:trashbin-original-location>") {
		t.Fatalf("trash: %d %s", st, body)
	}
	item := trash + "/" + strconv.FormatInt(n.ID, 10)
	if st, _, _ := e.do("marie", "DELETE", item, nil, nil); st != 403 {
		t.Errorf("permanent delete from an app: %d, want 403", st)
	}
	if st, _, _ := e.do("marie", "MOVE", item, nil, map[string]string{"Destination": e.url + "/remote.php/dav/trashbin/marie/restore/x"}); st != 201 {
		t.Fatalf("restore from trash: %d", st)
	}
	if st, got, _ := e.do("marie", "GET", f, nil, nil); st != 200 || got != "budget v1" {
		t.Errorf("after restore: %d %q", st, got)
	}
}
