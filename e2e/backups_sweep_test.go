package e2e

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

// Through the real binary: a target keeping one snapshot; a file is
// deleted for good and the next backup thins the older snapshot, deletes
// the content only it referred to from the target, and « Sauvegardes »
// says how much space that freed.
func TestBackupSweepShownOnThePage(t *testing.T) {
	srv := server.Start(t, server.Options{})
	api := admin(t, srv)
	b := newBrowser(t, srv)
	if st := b.login("admin", server.AdminPassword); st != 200 {
		t.Fatal(st)
	}
	dir := filepath.Join(t.TempDir(), "disque-usb")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const forgotten = "Le budget de l'an passé, que personne ne veut plus garder."
	api.put("/ancien-budget.txt", []byte(forgotten))
	api.put("/statuts.txt", []byte("Statuts de l'association"))
	waitBackups := func(n int) string {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for {
			_, page, _ := b.do("GET", "/admin/backups", nil, map[string]string{"Accept-Language": "fr"})
			if !strings.Contains(page, `id="bk-running"`) && strings.Count(page, `data-kind="backup" data-ok="true"`) >= n {
				return page
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d backups not done after 2 minutes", n)
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	st, loc := b.form("/do/admin/backups/settings", url.Values{"every": {"24h0m0s"}, "verify_every": {"0s"}, "daily": {"0"}, "weekly": {"0"},
		"monthly": {"0"}, "keep": {"1"}, "verify_sample": {"0"}, "target_name_0": {"disque-usb"}, "target_kind_0": {"dir"}, "target_dir_0": {dir}})
	if st != 303 || strings.Contains(loc, "err=") {
		t.Fatalf("settings: %d %s", st, loc)
	}
	waitBackups(1) // saving starts the first backup
	blob := filepath.Join(dir, "blobs")
	count := func() int {
		n := 0
		filepath.WalkDir(blob, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
				n++
			}
			return nil
		})
		return n
	}
	if n := count(); n != 2 {
		t.Fatalf("the target holds %d contents after the first backup, want 2", n)
	}
	if st := api.call("DELETE", "/api/v1/files/ancien-budget.txt", nil, nil); st != 204 && st != 200 {
		t.Fatalf("delete: %d", st)
	}
	if st := api.call("DELETE", "/api/v1/trash", nil, nil); st != 200 && st != 204 {
		t.Fatalf("empty the trash: %d", st)
	}
	if st, loc := b.form("/do/admin/backups/run", url.Values{"kind": {"backup"}}); st != 303 || !strings.Contains(loc, "backup_started") {
		t.Fatalf("back up now: %d %s", st, loc)
	}
	page := waitBackups(2)
	if n := count(); n != 1 {
		t.Errorf("the target holds %d contents after thinning, want 1 (the statutes)", n)
	}
	if !strings.Contains(page, `class="reclaimed"`) || !strings.Contains(page, "libérés") {
		t.Errorf("the page does not show the space freed:\n%s", page)
	}
}
