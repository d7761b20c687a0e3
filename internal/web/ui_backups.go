package web

import (
	"context"
	"errors"
	"io"
	"mime"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/backup/schedule"
	"notreasso/internal/config"
	"notreasso/internal/repo"
	"notreasso/internal/transfer"
)

// The « Sauvegardes » page: the state of the scheduled backups, the
// buttons to back up or verify now, their settings, and the full copy
// to take elsewhere. The scheduler does the work (internal/backup/schedule).

// Backups is what the page needs of the scheduler.
type Backups interface {
	Status(ctx context.Context) (schedule.Status, error)
	Trigger(kind, by string) error
	SaveSettings(ctx context.Context, p acl.Principal, set config.Backup) error
}

func (s *Server) uiBackupRoutes(page, get, post func(string, fiber.Handler)) {
	page("/admin/backups", s.backupsPage)
	post("/do/admin/backups/run", s.backupRunForm)
	post("/do/admin/backups/settings", s.backupSettingsForm)
	get("/admin/backups/copy.zip", s.fullCopy(transfer.ArchiveZip))
	get("/admin/backups/copy.tar", s.fullCopy(transfer.ArchiveTar))
}

// Choices of the settings form.
var (
	backupEvery       = []time.Duration{0, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}
	backupVerifyEvery = []time.Duration{0, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}
)

type durationChoice struct {
	Value    string
	Label    string
	Selected bool
}

type backupsData struct {
	St          schedule.Status
	Every       []durationChoice
	VerifyEvery []durationChoice
	Targets     []config.BackupTarget // the form's rows: the targets, then an empty one
	LiveS3      bool                  // the bucket itself can be a target
}

// backupDurations labels a schedule choice in words.
func backupDuration(l *Locale, d time.Duration) string {
	switch {
	case d == 0:
		return l.T("bk.every_off")
	case d%(24*time.Hour) == 0:
		return l.T("bk.every_days", "Count", int(d/(24*time.Hour)))
	}
	return l.T("bk.every_hours", "Count", int(d/time.Hour))
}

func choices(l *Locale, opts []time.Duration, cur time.Duration) []durationChoice {
	var out []durationChoice
	found := false
	for _, d := range opts {
		out = append(out, durationChoice{d.String(), backupDuration(l, d), d == cur})
		found = found || d == cur
	}
	if !found { // a value from the configuration file stays as it is
		out = append(out, durationChoice{cur.String(), backupDuration(l, cur), true})
	}
	return out
}

func (s *Server) backupsPage(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	if s.backups == nil {
		return fiber.ErrNotFound
	}
	st, err := s.backups.Status(c.UserContext())
	if err != nil {
		return err
	}
	pg := s.newPage(c, "admin")
	pg.Title = pg.L.T("bk.title")
	d := backupsData{St: st, Every: choices(pg.L, backupEvery, st.Settings.Every),
		VerifyEvery: choices(pg.L, backupVerifyEvery, st.Settings.VerifyEvery), LiveS3: s.cfg.Storage.Backend == "s3"}
	d.Targets = append(append(d.Targets, st.Settings.Targets...), config.BackupTarget{Kind: "dir"})
	pg.Data = d
	if st.Running != "" {
		c.Set("Refresh", "5") // the result appears without a click
	}
	return s.render(c, fiber.StatusOK, "backups", pg)
}

func (s *Server) backupRunForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	kind := c.FormValue("kind")
	err := s.backups.Trigger(kind, principal(c).Login)
	switch {
	case errors.Is(err, schedule.ErrBusy):
		return c.Redirect("/admin/backups?err=backup_busy", fiber.StatusSeeOther)
	case err != nil:
		return err
	case kind == schedule.KindVerify:
		return c.Redirect("/admin/backups?ok=verify_started#runs", fiber.StatusSeeOther)
	}
	return c.Redirect("/admin/backups?ok=backup_started#runs", fiber.StatusSeeOther)
}

// backupSettingsForm saves the settings: the schedule, the thinning, and
// the targets, one form row each (target_name[i], target_kind[i]…); a row
// without a name is dropped. Secrets are never asked: a file or a
// variable name.
func (s *Server) backupSettingsForm(c *fiber.Ctx) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	set, err := parseBackupForm(c)
	if err == nil {
		err = s.backups.SaveSettings(c.UserContext(), principal(c), set)
	}
	if errors.Is(err, repo.ErrInvalid) {
		s.log.Info("backup settings refused", "err", err)
		return c.Redirect("/admin/backups?err=backup_settings#settings", fiber.StatusSeeOther)
	}
	if err != nil {
		return err
	}
	return c.Redirect("/admin/backups?ok=backup_saved", fiber.StatusSeeOther)
}

// maxBackupTargets bounds the settings form.
const maxBackupTargets = 10

func parseBackupForm(c *fiber.Ctx) (config.Backup, error) {
	set := config.DefaultBackup()
	bad := func(field string) (config.Backup, error) {
		return set, errors.Join(repo.ErrInvalid, errors.New("backup: "+field+" is not valid"))
	}
	var err error
	if set.Every, err = time.ParseDuration(c.FormValue("every")); err != nil {
		return bad("every")
	}
	if set.VerifyEvery, err = time.ParseDuration(c.FormValue("verify_every")); err != nil {
		return bad("verify_every")
	}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"daily", &set.Daily}, {"weekly", &set.Weekly}, {"monthly", &set.Monthly}, {"keep", &set.Keep}, {"verify_sample", &set.VerifySample}} {
		if *f.dst, err = strconv.Atoi(strings.TrimSpace(c.FormValue(f.name))); err != nil || *f.dst < 0 || *f.dst > 10000 {
			return bad(f.name)
		}
	}
	// Each target is a row of fields named KEY_i (check boxes are sent
	// only when checked, so lists of same-named fields would misalign).
	field := func(key string, i int) string { return strings.TrimSpace(c.FormValue(key + "_" + strconv.Itoa(i))) }
	checked := func(key string, i int) bool { return field(key, i) == "on" }
	for i := range maxBackupTargets + 1 {
		name := field("target_name", i)
		if name == "" {
			continue
		}
		if len(set.Targets) == maxBackupTargets {
			return bad("targets")
		}
		t := config.BackupTarget{Name: name, Kind: field("target_kind", i)}
		switch t.Kind {
		case "dir":
			t.Dir = field("target_dir", i)
		case "s3":
			t.S3 = config.BackupS3{Endpoint: field("s3_endpoint", i), Region: field("s3_region", i), Bucket: field("s3_bucket", i),
				Prefix: field("s3_prefix", i), AccessKey: field("s3_access_key", i), TLS: checked("s3_tls", i),
				PathStyle: checked("s3_path_style", i), CreateBucket: checked("s3_create_bucket", i)}
			secret := field("s3_secret", i)
			if strings.HasPrefix(secret, "/") {
				t.S3.SecretKeyFile = secret
			} else {
				t.S3.SecretKeyEnv = secret
			}
		}
		set.Targets = append(set.Targets, t)
	}
	return set, nil
}

// fullCopy streams the plain export of the whole repository (folders and
// files as they are, metadata.jsonl) as one archive, to administrators.
func (s *Server) fullCopy(format string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := s.adminOnly(c); err != nil {
			return err
		}
		who := principal(c)
		// The writer outlives the handler: its own context, cancelled when
		// the response's body is closed (see sendZip).
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		go func() {
			defer cancel()
			_, err := transfer.ExportArchive(ctx, s.repo, pw, format, s.repo.Maintenance.SpoolDir(), transfer.ExportOptions{As: who})
			if err != nil {
				s.log.Warn("full copy cut", "err", err, "user", who.Login)
			}
			pw.CloseWithError(err)
		}()
		name := "notreasso-" + time.Now().Format("2006-01-02") + "." + format
		ctype := "application/zip"
		if format == transfer.ArchiveTar {
			ctype = "application/x-tar"
		}
		c.Set(fiber.HeaderContentType, ctype)
		c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.SendStream(closeFunc{pr, func() { cancel(); pr.Close() }})
	}
}
