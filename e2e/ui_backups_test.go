package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"notreasso/internal/testutil/browser"
	"notreasso/internal/testutil/server"
)

// The administrator of a fresh server sees the red banner (no backup),
// opens « Sauvegardes », sets a folder as target and a daily schedule,
// clicks « Sauvegarder maintenant », sees the result and the banner go.
// Screenshots at 1280 and 360 px.
func TestUIBackups(t *testing.T) {
	srv, u, api := adminUI(t)
	api.put("/statuts.txt", []byte("Statuts de l'association"))
	dir := filepath.Join(t.TempDir(), "disque-usb")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	u.login("admin", server.AdminPassword)
	u.open("/admin", "#backup-alert")
	if got := u.text("#backup-alert"); !strings.Contains(got, "Aucune sauvegarde automatique") {
		t.Fatalf("banner on a fresh server: %q", got)
	}
	u.b.Navigates("open the backups page", chromedp.Click(`#backup-alert a`))
	u.clean("backups page")
	if got := u.text("#bk-last-ok"); got != "Jamais" {
		t.Errorf("last backup on a fresh server: %q", got)
	}
	u.screenshot("backups-empty")

	u.b.Do("fill the target", chromedp.SendKeys("#t-name-0", "disque-usb"), chromedp.SetValue("#t-kind-0", "dir"),
		chromedp.SendKeys("#t-dir-0", dir), chromedp.SetValue("#bk-every", "24h0m0s"))
	u.b.Navigates("save the settings", chromedp.Click("#bk-save"))
	u.clean("settings saved")
	if got := u.text(".flash.ok"); !strings.Contains(got, "Réglages des sauvegardes enregistrés") {
		t.Errorf("after saving: %q", got)
	}
	// Saving starts the first backup at once; wait for it, then ask for one more.
	waitNotRunning(t, u)
	u.b.Navigates("back up now", chromedp.Click("#backup-now"))
	waitNotRunning(t, u)
	u.b.Do("reload", chromedp.Reload(), chromedp.WaitReady("#bk-targets"))
	u.clean("after the backup")
	if state := browser.Eval[string](u.b, `document.querySelector('#target-disque-usb').dataset.state`); state != "ok" {
		t.Fatalf("target state after « Sauvegarder maintenant »: %q\n%s", state, u.text("#bk-targets"))
	}
	if got := u.text("#target-disque-usb"); !strings.Contains(got, "2 sauvegardes") || !strings.Contains(got, "En bon état") {
		t.Errorf("target row: %q", got)
	}
	if got := u.text("#bk-last-ok"); got == "Jamais" || got == "" {
		t.Errorf("last backup after backing up: %q", got)
	}
	if n := browser.Eval[int](u.b, `document.querySelectorAll('#bk-runs tr[data-kind=backup][data-ok=true]').length`); n != 2 {
		t.Errorf("%d successful backups in the runs table, want 2", n)
	}
	if browser.Eval[bool](u.b, `!!document.getElementById('backup-alert')`) {
		t.Errorf("the banner is still there after a good backup: %q", u.text("#backup-alert"))
	}
	u.screenshot("backups")
	u.open("/admin/groups", "main")
	if browser.Eval[bool](u.b, `!!document.getElementById('backup-alert')`) {
		t.Errorf("the banner is still on the other admin pages")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "meta"))
	if len(entries) != 4 { // two snapshots: a manifest and a database each
		t.Errorf("the target holds %d files in meta/, want 4", len(entries))
	}
	_ = srv
}

// waitNotRunning reloads the page until no backup runs.
func waitNotRunning(t *testing.T, u *ui) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		u.b.Do("reload", chromedp.Navigate(u.base+"/admin/backups"), chromedp.WaitReady("#bk-state"))
		if !browser.Eval[bool](u.b, `!!document.getElementById('bk-running')`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the backup is still running after 2 minutes")
		}
		time.Sleep(300 * time.Millisecond)
	}
}
