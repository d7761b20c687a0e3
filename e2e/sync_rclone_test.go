package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

// rclone with vendor=nextcloud on remote.php: bisync both ways, keeping
// modification times (X-OC-Mtime) and sending checksums (OC-Checksum).
func TestSyncRcloneBisync(t *testing.T) {
	srv := server.Start(t, server.Options{})
	adm := admin(t, srv)
	rc := tool(t, "rclone")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	obscured, err := exec.CommandContext(ctx, rc, "obscure", server.AdminPassword).Output()
	if err != nil {
		t.Fatal(err)
	}
	cfg := t.TempDir()
	local := filepath.Join(t.TempDir(), "Asso")
	remote := ":webdav:"
	bisync := func(extra ...string) string {
		t.Helper()
		args := append([]string{"bisync", local, remote, "--webdav-url", srv.URL + "/remote.php/dav/files/admin/",
			"--webdav-vendor", "nextcloud", "--webdav-user", "admin", "--webdav-pass", strings.TrimSpace(string(obscured)),
			"--workdir", filepath.Join(cfg, "bisync"), "--config", filepath.Join(cfg, "rclone.conf")}, extra...)
		out, err := exec.CommandContext(ctx, rc, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("rclone bisync: %v\n%s", err, tail(string(out), 3000))
		}
		return string(out)
	}
	old := time.Date(2019, 5, 6, 7, 8, 9, 0, time.UTC)
	write := func(rel, content string) {
		p := filepath.Join(local, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
	}
	write("Bureau/procès-verbal d'AG.txt", "PV de l'AG 2019\n")
	syncPut(t, adm, "/Du serveur.txt", "écrit en ligne\n", old.Add(time.Hour))
	bisync("--resync")
	st, n := serverStat(t, adm, "/Bureau/procès-verbal d'AG.txt")
	if st != 200 || !n.Modified.Equal(old) {
		t.Fatalf("up: %d, mtime %v want %v", st, n.Modified, old)
	}
	fi, err := os.Stat(filepath.Join(local, "Du serveur.txt"))
	if err != nil || !fi.ModTime().Equal(old.Add(time.Hour)) {
		t.Fatalf("down: %v %v", err, fi)
	}
	// A change on each side.
	write("Bureau/procès-verbal d'AG.txt", "PV corrigé\n")
	os.Chtimes(filepath.Join(local, "Bureau/procès-verbal d'AG.txt"), old.Add(48*time.Hour), old.Add(48*time.Hour))
	syncPut(t, adm, "/Du serveur.txt", "corrigé en ligne\n", old.Add(72*time.Hour))
	bisync()
	if _, got := serverRead(t, adm, "/Bureau/procès-verbal d'AG.txt"); got != "PV corrigé\n" {
		t.Errorf("local change not on the server: %q", got)
	}
	if got, _ := os.ReadFile(filepath.Join(local, "Du serveur.txt")); string(got) != "corrigé en ligne\n" {
		t.Errorf("server change not local: %q", got)
	}
	if v := versionCount(t, adm, "/Bureau/procès-verbal d'AG.txt"); v != 2 {
		t.Errorf("%d versions, want 2", v)
	}
}
