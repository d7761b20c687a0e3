package e2e

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notreasso/internal/testutil/s3server"
	"notreasso/internal/testutil/server"
)

func metricsText(t *testing.T, srv *server.Server) string {
	t.Helper()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// A damaged snapshot and an unreachable target, on the real server:
//   - content removed and altered in a backup directory: « Vérifier
//     maintenant » fails, the runs table and /metrics say so, and the backup
//     that follows copies the content again (the verification after it
//     passes);
//   - the off-site S3 server killed: « Sauvegarder maintenant » fails for
//     that target, which the page (banner, state), /readyz and /metrics
//     show, while the server goes on serving; once S3 is back, the next
//     backup succeeds and the banner goes.
func TestBackupFailuresShowAndHeal(t *testing.T) {
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	offsite := s3server.New(t)
	c.put("/statuts.txt", []byte("Statuts de l'association, article 1 : l'association a pour objet…"))
	c.put("/budget.txt", []byte("Budget prévisionnel 2026"))
	dir := filepath.Join(t.TempDir(), "disque-usb")
	os.Mkdir(dir, 0o755)
	secretFile := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secretFile, []byte(offsite.SecretKey), 0o600)
	b := newBrowserAdmin(t, srv)
	setBackupTargets(t, b, "24h0m0s",
		map[string]string{"target_name": "disque-usb", "target_kind": "dir", "target_dir": dir},
		map[string]string{"target_name": "hors-site", "target_kind": "s3", "s3_endpoint": offsite.Endpoint, "s3_region": s3server.Region,
			"s3_bucket": "sauvegardes", "s3_access_key": offsite.AccessKey, "s3_secret": secretFile, "s3_path_style": "on", "s3_create_bucket": "on"})
	if st, page := waitBackupsIdle(t, srv, b, 2*time.Minute); !st.OK {
		t.Fatalf("first backups: %+v\n%s", st, page)
	}

	// Damage the directory target.
	var blobs []string
	filepath.WalkDir(filepath.Join(dir, "blobs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && len(d.Name()) == 64 {
			blobs = append(blobs, p)
		}
		return nil
	})
	if len(blobs) != 2 {
		t.Fatalf("%d contents in the target, want 2", len(blobs))
	}
	good, _ := os.ReadFile(blobs[0])
	bad := append([]byte(nil), good...)
	bad[len(bad)-1] ^= 1
	os.Chmod(blobs[0], 0o644)
	os.WriteFile(blobs[0], bad, 0o644)
	os.Remove(blobs[1])
	if code, loc := b.form("/do/admin/backups/run", url.Values{"kind": {"verify"}}); code != 303 || !strings.Contains(loc, "ok=verify_started") {
		t.Fatalf("verify now: %d → %s", code, loc)
	}
	_, page := waitBackupsIdle(t, srv, b, 2*time.Minute)
	if !strings.Contains(page, `data-kind="verify" data-ok="false"`) || !strings.Contains(page, "Vérification de disque-usb") && !strings.Contains(page, "Verification of disque-usb") {
		t.Errorf("the page does not show the failed verification:\n%s", page)
	}
	m := metricsText(t, srv)
	if !strings.Contains(m, `notreasso_backup_verify_failures_total{target="disque-usb"} 1`) {
		t.Errorf("/metrics does not count the failed verification:\n%s", grepLines(m, "notreasso_backup_"))
	}
	if got, _ := os.ReadFile(blobs[0]); string(got) != string(good) {
		t.Errorf("the altered content was not copied again")
	}
	if _, err := os.Stat(blobs[1]); err != nil {
		t.Errorf("the removed content was not copied again: %v", err)
	}
	if st := readBackupState(t, srv); !st.OK || !st.Targets[0].VerifyOK {
		t.Errorf("after the repair: %+v", st)
	}

	// The off-site target goes away.
	offsite.Kill()
	b.form("/do/admin/backups/run", url.Values{"kind": {"backup"}})
	st, page := waitBackupsIdle(t, srv, b, 3*time.Minute)
	if st.OK || st.Alert != "failing" || st.Targets[1].State != "failing" || st.Targets[1].Failures != 1 || st.Targets[0].State != "ok" {
		t.Errorf("with the off-site server down: %+v", st)
	}
	if !strings.Contains(page, `id="target-hors-site" data-state="failing"`) || !strings.Contains(page, `id="backup-alert"`) {
		t.Errorf("the page does not show the failing target and the banner")
	}
	m = metricsText(t, srv)
	for _, want := range []string{`notreasso_backup_consecutive_failures{target="hors-site"} 1`, `notreasso_backup_failures_total{target="hors-site"} 1`, `notreasso_backup_stale 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, grepLines(m, "notreasso_backup_"))
		}
	}
	// The server goes on serving; /readyz, which answers anyone, names no
	// path, address or error.
	resp, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	ready, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Contains(string(ready), dir) || strings.Contains(string(ready), offsite.Endpoint) {
		t.Errorf("readyz with the off-site target down: %d %s", resp.StatusCode, ready)
	}
	if st, _ := c.put("/pendant la panne.txt", []byte("écrit pendant la panne")); st != 201 {
		t.Errorf("upload with the off-site target down: %d", st)
	}

	offsite.Start()
	b.form("/do/admin/backups/run", url.Values{"kind": {"backup"}})
	if st, page = waitBackupsIdle(t, srv, b, 2*time.Minute); !st.OK || st.Targets[1].State != "ok" || strings.Contains(page, `id="backup-alert"`) {
		t.Errorf("once the off-site server is back: %+v", st)
	}
	if m = metricsText(t, srv); !strings.Contains(m, `notreasso_backup_consecutive_failures{target="hors-site"} 0`) || !strings.Contains(m, "notreasso_backup_stale 0") {
		t.Errorf("/metrics once back:\n%s", grepLines(m, "notreasso_backup_"))
	}
}

// The backups page, its forms and the full copy are for administrators
// only: a member gets 403 and nothing runs or changes; /readyz names no
// path, address or error.
func TestBackupDoors(t *testing.T) {
	wd := newWorld(t, server.Options{})
	mkdirParents(wd.admin, "/Bureau")
	wd.put("/Bureau/secret.txt", "le nom d'un fichier secret")
	marie := newBrowser(t, wd.srv)
	if st := marie.login("marie", userPassword); st != 200 {
		t.Fatalf("login: %d", st)
	}
	accept := map[string]string{"Accept": "text/html"}
	for _, p := range []string{"/admin/backups", "/admin/backups/copy.zip", "/admin/backups/copy.tar"} {
		if st, body, _ := marie.do("GET", p, nil, accept); st != 403 || strings.Contains(body, "secret.txt") {
			t.Errorf("a member opens %s: %d", p, st)
		}
	}
	dir := t.TempDir()
	for _, f := range []struct {
		path string
		v    url.Values
	}{
		{"/do/admin/backups/run", url.Values{"kind": {"backup"}}},
		{"/do/admin/backups/settings", url.Values{"every": {"1h0m0s"}, "verify_every": {"0s"}, "daily": {"1"}, "weekly": {"0"}, "monthly": {"0"},
			"keep": {"1"}, "verify_sample": {"1"}, "target_name_0": {"pirate"}, "target_kind_0": {"dir"}, "target_dir_0": {dir}}},
	} {
		if st, _ := marie.form(f.path, f.v); st != 403 {
			t.Errorf("a member posts %s: %d", f.path, st)
		}
	}
	st := readBackupState(t, wd.srv)
	if len(st.Targets) != 0 || st.Alert != "no_target" {
		t.Errorf("after a member's attempts: %+v", st)
	}
	// Anonymous visitors are sent to the login page, and see nothing of
	// the administration pages (they used to get them after the redirect
	// header was set: adminOnly let the handler go on).
	anon := newBrowser(t, wd.srv)
	for _, p := range []string{"/admin", "/admin/backups", "/admin/backups/copy.zip", "/admin/groups", "/admin/audit"} {
		code, body, h := anon.do("GET", p, nil, accept)
		if code != 303 || !strings.HasPrefix(h.Get("Location"), "/login") || strings.Contains(body, "marie") || strings.Contains(h.Get("Content-Type"), "zip") {
			t.Errorf("anonymous GET %s: %d %v %.200s", p, code, h, body)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a member's target received %d files", len(entries))
	}
}
