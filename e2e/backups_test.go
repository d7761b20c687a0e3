package e2e

import (
	"context"
	"encoding/json"
	"fmt"
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
	"notreasso/internal/testutil/testdb"
)

// backupState is the backup part of /readyz.
type backupState struct {
	OK          bool   `json:"ok"`
	Alert       string `json:"alert"`
	LastSuccess *int64 `json:"last_success"`
	Running     string `json:"running"`
	Targets     []struct {
		Name     string `json:"name"`
		State    string `json:"state"`
		Failures int    `json:"failures"`
		VerifyOK bool   `json:"verify_ok"`
	} `json:"targets"`
}

func readBackupState(t *testing.T, srv *server.Server) backupState {
	t.Helper()
	var r struct {
		Details struct {
			Backup backupState `json:"backup"`
		} `json:"details"`
	}
	resp, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("readyz: %v: %s", err, body)
	}
	return r.Details.Backup
}

// waitBackupsIdle waits until no run is in progress and at least one has
// ended since `runs` (counted from the page's table).
func waitBackupsIdle(t *testing.T, srv *server.Server, b *cookieClient, within time.Duration) (backupState, string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		st := readBackupState(t, srv)
		// A target still « never » backed up is waiting for its first run
		// (settings just saved): not idle yet.
		never := false
		for _, tg := range st.Targets {
			never = never || tg.State == "never"
		}
		if st.Running == "" && !never {
			_, page, _ := b.do("GET", "/admin/backups", nil, map[string]string{"Accept": "text/html"})
			if !strings.Contains(page, `id="bk-running"`) {
				return st, page
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("backups still running after %v", within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// setBackupTargets saves the settings form as the browser sends it.
func setBackupTargets(t *testing.T, b *cookieClient, every string, targets ...map[string]string) {
	t.Helper()
	v := url.Values{"every": {every}, "verify_every": {"168h0m0s"}, "daily": {"7"}, "weekly": {"4"}, "monthly": {"12"}, "keep": {"30"}, "verify_sample": {"50"}}
	for i, tg := range targets {
		for _, k := range []string{"target_name", "target_kind", "target_dir", "s3_endpoint", "s3_region", "s3_bucket", "s3_prefix", "s3_access_key", "s3_secret"} {
			v.Set(fmt.Sprintf("%s_%d", k, i), tg[k])
		}
		for _, k := range []string{"s3_path_style", "s3_create_bucket"} {
			if tg[k] != "" {
				v.Set(fmt.Sprintf("%s_%d", k, i), "on")
			}
		}
	}
	if st, loc := b.form("/do/admin/backups/settings", v); st != 303 || !strings.Contains(loc, "ok=backup_saved") {
		t.Fatalf("save the backup settings: %d → %s", st, loc)
	}
}

// apiView is what people see through the API: listings with sizes and
// hashes, every file's versions, grants, and a search, as each account.
func apiView(t *testing.T, srv *server.Server) string {
	t.Helper()
	var b strings.Builder
	adm := admin(t, srv)
	var walk func(p string)
	walk = func(p string) {
		var l struct{ Children []node }
		if st := adm.call("GET", "/api/v1/list/"+escapePath(strings.TrimPrefix(p, "/")), nil, &l); st != 200 {
			t.Fatalf("list %s: %d", p, st)
		}
		for _, n := range l.Children {
			fmt.Fprintf(&b, "%s %s size=%d hash=%s tags=%v\n", n.Path, n.Type, n.Size, n.Hash, n.Tags)
			if n.Type == "dir" {
				walk(n.Path)
				continue
			}
			var vs struct{ Versions []map[string]any }
			adm.call("GET", "/api/v1/versions/"+escapePath(n.Path), nil, &vs)
			for _, v := range vs.Versions {
				fmt.Fprintf(&b, "  v%v %v %v label=%v pinned=%v\n", v["number"], v["hash"], v["size"], v["label"], v["pinned"])
			}
		}
	}
	walk("/")
	for _, p := range []string{"Bureau", "Partenaires"} {
		var grants any
		st := adm.call("GET", "/api/v1/grants/"+p, nil, &grants)
		g, _ := json.Marshal(grants)
		fmt.Fprintf(&b, "grants %s: %d %s\n", p, st, g)
	}
	for _, who := range []string{"marie", "lea"} {
		c := newClient(t, srv, who, userPassword)
		_, r := c.search("subvention")
		var hits []string
		for _, h := range r.Hits {
			hits = append(hits, h.Path)
		}
		fmt.Fprintf(&b, "search subvention as %s: %v\n", who, hits)
	}
	return b.String()
}

// A backup to a directory and to a second S3 bucket (off-site), asked
// from the Sauvegardes page, each restored into an empty data directory
// with `notreasso restore --target`: the restored server answers the API
// as the original did — listings, versions, grants, and search once the
// index is rebuilt.
func TestScheduledBackupRestoresElsewhere(t *testing.T) {
	wd := newWorld(t, server.Options{})
	srv := wd.srv
	offsite := s3server.New(t)
	mkdirParents(wd.admin, "/Bureau/AG 2026")
	mkdirParents(wd.admin, "/Partenaires")
	for i := 1; i <= 3; i++ {
		wd.put("/Bureau/AG 2026/procès-verbal.txt", fmt.Sprintf("Procès-verbal, version %d : la subvention municipale est votée.", i))
	}
	wd.admin.call("PATCH", "/api/v1/versions/"+escapePath("/Bureau/AG 2026/procès-verbal.txt"), map[string]any{"version": 2, "label": "voté", "pinned": true}, nil)
	wd.put("/Partenaires/convention.txt", "Convention de subvention avec la mairie.")
	wd.put("/Bureau/budget.txt", "Budget : subvention de fonctionnement.")
	wd.mustCall(200, "POST", "/api/v1/grants/Partenaires", map[string]any{"principal": "group:partenaires", "role": "viewer"})
	waitFound(t, wd.admin, "subvention", "/Bureau/budget.txt")
	waitFound(t, wd.users["lea"], "subvention", "/Partenaires/convention.txt")
	want := apiView(t, srv)

	dir := filepath.Join(t.TempDir(), "disque-usb")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	secretFile := filepath.Join(t.TempDir(), "hors-site.secret")
	os.WriteFile(secretFile, []byte(offsite.SecretKey+"\n"), 0o600)
	b := newBrowserAdmin(t, srv)
	setBackupTargets(t, b, "24h0m0s",
		map[string]string{"target_name": "disque-usb", "target_kind": "dir", "target_dir": dir},
		map[string]string{"target_name": "hors-site", "target_kind": "s3", "s3_endpoint": offsite.Endpoint, "s3_region": s3server.Region,
			"s3_bucket": "sauvegardes", "s3_prefix": "asso/", "s3_access_key": offsite.AccessKey, "s3_secret": secretFile,
			"s3_path_style": "on", "s3_create_bucket": "on"})
	// Saving starts the schedule: the first backup of a new target is due at once.
	st, page := waitBackupsIdle(t, srv, b, 2*time.Minute)
	if !st.OK || len(st.Targets) != 2 || st.Targets[0].State != "ok" || st.Targets[1].State != "ok" {
		t.Fatalf("after the first backups: %+v\n%s", st, page)
	}
	if strings.Contains(page, offsite.SecretKey) {
		t.Errorf("the page shows the off-site secret key")
	}
	// « Sauvegarder maintenant » adds one more snapshot to each.
	if code, loc := b.form("/do/admin/backups/run", url.Values{"kind": {"backup"}}); code != 303 || !strings.Contains(loc, "ok=backup_started") {
		t.Fatalf("back up now: %d → %s", code, loc)
	}
	st, _ = waitBackupsIdle(t, srv, b, 2*time.Minute)
	if !st.OK {
		t.Fatalf("after backing up now: %+v", st)
	}

	for _, target := range []string{"disque-usb", "hors-site"} {
		t.Run(target, func(t *testing.T) {
			data := t.TempDir()
			cfg := filepath.Join(t.TempDir(), "notreasso.yaml")
			os.WriteFile(cfg, []byte(fmt.Sprintf(`backup:
  targets:
    - name: disque-usb
      kind: dir
      dir: %s
    - name: hors-site
      kind: s3
      s3:
        endpoint: %s
        region: %s
        bucket: sauvegardes
        prefix: asso/
        access_key: %s
        secret_key_file: %s
        tls: false
        path_style: true
`, dir, offsite.Endpoint, s3server.Region, offsite.AccessKey, secretFile)), 0o600)
			// On PostgreSQL, the restore fills a new, empty database.
			var db string
			if testdb.Postgres() {
				db = testdb.NewPostgres(t)
			}
			out, err := runCLIOn(t, srv, data, db, "restore", "--target", target, "--config", cfg)
			if err != nil || !strings.Contains(out, "every content present") {
				t.Fatalf("restore --target %s: %v\n%s", target, err, out)
			}
			restored := server.Start(t, server.Options{Data: data, Database: db})
			waitFound(t, admin(t, restored), "subvention", "/Bureau/budget.txt")
			waitFound(t, newClient(t, restored, "lea", userPassword), "subvention", "/Partenaires/convention.txt")
			if got := apiView(t, restored); got != want {
				t.Errorf("the restored server answers differently:\n%s\nwant:\n%s", got, want)
			}
			if out, err := runCLI(t, restored, data, "check"); err != nil || !strings.Contains(out, "OK: no inconsistency") {
				t.Errorf("check: %v\n%s", err, out)
			}
		})
	}
}

// runCLI runs the binary on another data directory with srv's environment.
func runCLI(t *testing.T, srv *server.Server, data string, args ...string) (string, error) {
	t.Helper()
	return runCLIOn(t, srv, data, "", args...)
}

// runCLIOn is runCLI on another PostgreSQL database too, when db is set.
func runCLIOn(t *testing.T, srv *server.Server, data, db string, args ...string) (string, error) {
	t.Helper()
	cmd := srv.Command(context.Background(), args...)
	if db != "" {
		cmd.Env = append(cmd.Env, "NOTREASSO_DATABASE_URL="+db)
	}
	for i, a := range cmd.Args {
		if a == srv.Data {
			cmd.Args[i] = data
		}
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}
