package schedule

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"notreasso/internal/backup"
	"notreasso/internal/config"
	"notreasso/internal/metrics"
	"notreasso/internal/repo"
	"notreasso/internal/testutil/fakeclock"
	"notreasso/internal/testutil/repotest"
)

// fixture is a repository, a scheduler on a fake clock, and its loop.
type fixture struct {
	env   *repotest.Env
	clock *fakeclock.Clock
	s     *Scheduler
	ctx   context.Context
	stop  func()
}

func newFixture(t *testing.T, set config.Backup, open func(context.Context, config.BackupTarget) (backup.Target, func(), error)) *fixture {
	t.Helper()
	clock := fakeclock.New(time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC))
	env := repotest.New(t, repo.Options{Now: clock.Now})
	f := &fixture{env: env, clock: clock, ctx: context.Background()}
	f.s = New(Options{Repo: env.Repo, Live: env.Blobs, File: set, TempDir: t.TempDir(), Version: "test", Logger: env.Log, Clock: clock, Open: open})
	return f
}

// start runs the loop and waits until it first waits.
func (f *fixture) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan struct{})
	go func() { f.s.Run(ctx); close(done) }()
	f.stop = func() { cancel(); <-done }
	t.Cleanup(f.stop)
	f.settle(t, 0)
}

// settle waits until the loop went back to waiting more than `after` times.
func (f *fixture) settle(t *testing.T, after int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute) // guards against a hang only (a dead S3 server is retried for a while)
	for f.s.Loops() <= after {
		if time.Now().After(deadline) {
			t.Fatalf("the backup loop did not settle")
		}
		time.Sleep(time.Millisecond)
	}
}

// tick moves the clock and waits for the loop to do what became due.
func (f *fixture) tick(t *testing.T, d time.Duration) {
	t.Helper()
	n := f.s.Loops()
	f.clock.Advance(d)
	f.settle(t, n)
}

func (f *fixture) put(t *testing.T, path, body string) {
	t.Helper()
	if _, _, err := f.env.Repo.Tree.Put(f.ctx, f.env.Admin, path, strings.NewReader(body), repo.PutOptions{Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) runs(t *testing.T, kind string) []repo.BackupRun {
	t.Helper()
	all, err := f.env.Repo.Maintenance.BackupRuns(f.ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []repo.BackupRun
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Kind == kind {
			out = append(out, all[i])
		}
	}
	return out
}

func dirTarget(t *testing.T) (config.BackupTarget, string) {
	dir := filepath.Join(t.TempDir(), "usb")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return config.BackupTarget{Name: "usb", Kind: "dir", Dir: dir}, dir
}

func snapshots(t *testing.T, dir string) []string {
	t.Helper()
	d, err := backup.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names, err := backup.Snapshots(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// A daily schedule makes one snapshot a day, each a day after the last;
// thinning keeps every snapshot of the last day, one a day for a week and
// one a week for four weeks; a verification runs after the first backup
// and then weekly.
func TestDailyScheduleAndThinning(t *testing.T) {
	target, dir := dirTarget(t)
	set := config.Backup{Every: 24 * time.Hour, VerifyEvery: 7 * 24 * time.Hour, VerifySample: 5, Daily: 7, Weekly: 4, Targets: []config.BackupTarget{target}}
	f := newFixture(t, set, nil)
	f.put(t, "/day-0.txt", "le premier jour")
	f.start(t)
	if got := len(f.runs(t, KindBackup)); got != 1 {
		t.Fatalf("at start: %d backups, want 1 (none was ever made)", got)
	}
	const days = 40
	for d := 1; d <= days; d++ {
		f.put(t, fmt.Sprintf("/day-%d.txt", d), fmt.Sprintf("le jour %d", d))
		f.tick(t, 12*time.Hour) // half a day: nothing is due
		if got := len(f.runs(t, KindBackup)); got != d {
			t.Fatalf("day %d, half-way: %d backups, want %d", d, got, d)
		}
		f.tick(t, 12*time.Hour)
	}
	runs := f.runs(t, KindBackup)
	if len(runs) != days+1 {
		t.Fatalf("%d backups in %d days, want %d", len(runs), days, days+1)
	}
	for i, r := range runs {
		if !r.OK || r.Trigger != "schedule" {
			t.Errorf("backup %d: %+v", i, r)
		}
		if i > 0 && r.StartedAt.Sub(runs[i-1].StartedAt) != 24*time.Hour {
			t.Errorf("backup %d started %v after the previous one, want 24h", i, r.StartedAt.Sub(runs[i-1].StartedAt))
		}
	}
	// 2026-02-10 (a Tuesday): the newest (age 0), six dailies (ages 1-6),
	// and the newest of the ISO weeks ending Feb 1, Jan 25 and Jan 18 (the
	// week of Feb 2-8 is represented by Feb 8, a daily): ten.
	got := snapshots(t, dir)
	var dates []string
	for _, n := range got {
		at, _ := backup.SnapshotTime(n)
		dates = append(dates, at.Format("01-02"))
	}
	want := "01-18 01-25 02-01 02-04 02-05 02-06 02-07 02-08 02-09 02-10"
	if strings.Join(dates, " ") != want {
		t.Errorf("snapshots kept: %s\nwant %s", strings.Join(dates, " "), want)
	}
	if last := runs[len(runs)-1]; last.Snapshots != 10 {
		t.Errorf("the last run says %d snapshots kept, want 10", last.Snapshots)
	}
	verifies := f.runs(t, KindVerify)
	if len(verifies) != 1+days/7 {
		t.Errorf("%d verifications in %d days, want %d (after the first backup, then weekly)", len(verifies), days, 1+days/7)
	}
	for _, v := range verifies {
		if !v.OK {
			t.Errorf("verification failed: %+v", v)
		}
	}
	st, err := f.s.Status(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Alert != AlertNone || st.Targets[0].State != "ok" || !st.NextRun.Equal(f.clock.Now().Add(24*time.Hour)) {
		t.Errorf("status: alert %q, state %q, next run %v (now %v)", st.Alert, st.Targets[0].State, st.NextRun, f.clock.Now())
	}
	// Two days without a backup (the schedule off): the banner comes.
	f.stop()
	f.clock.Advance(31 * time.Hour)
	if st, _ = f.s.Status(f.ctx); st.Alert != AlertStale {
		t.Errorf("31 hours after the last backup of a daily schedule: alert %q, want stale", st.Alert)
	}
}

// blockingTarget holds every snapshot upload until released.
type blockingTarget struct {
	backup.Target
	entered chan struct{}
	release chan struct{}
}

func (b *blockingTarget) PutMeta(ctx context.Context, name string, r io.Reader, size int64) error {
	if strings.HasSuffix(name, ".db.gz") {
		b.entered <- struct{}{}
		<-b.release
	}
	return b.Target.PutMeta(ctx, name, r, size)
}

// A second run never overlaps the first: not another one asked from the
// page, not a verification, not `notreasso backup` from another process
// (the maintenance lock); and a run finding the lock held elsewhere waits
// and runs once it is free, without counting as a failure.
func TestNoOverlap(t *testing.T) {
	target, dir := dirTarget(t)
	bt := &blockingTarget{entered: make(chan struct{}), release: make(chan struct{})}
	open := func(ctx context.Context, tc config.BackupTarget) (backup.Target, func(), error) {
		d, err := backup.OpenDir(tc.Dir)
		bt.Target = d
		return bt, func() {}, err
	}
	set := config.Backup{Every: 24 * time.Hour, Targets: []config.BackupTarget{target}}
	f := newFixture(t, set, open)
	f.put(t, "/a.txt", "a")
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan struct{})
	go func() { f.s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	<-bt.entered // the first backup is writing its snapshot
	if err := f.s.Trigger(KindBackup, "admin"); !errors.Is(err, ErrBusy) {
		t.Errorf("a backup asked during a backup: %v, want ErrBusy", err)
	}
	if err := f.s.Trigger(KindVerify, "admin"); !errors.Is(err, ErrBusy) {
		t.Errorf("a verification asked during a backup: %v, want ErrBusy", err)
	}
	cli, err := backup.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Backup(f.ctx, f.env.Repo, cli, backup.Options{}); !errors.Is(err, repo.ErrUnavailable) {
		t.Errorf("notreasso backup during a scheduled one: %v, want the lock refused", err)
	}
	bt.release <- struct{}{}
	f.settle(t, 0)
	if n := len(f.runs(t, KindBackup)); n != 1 {
		t.Fatalf("%d backups, want 1", n)
	}
	if _, err := backup.Backup(f.ctx, f.env.Repo, cli, backup.Options{}); err != nil {
		t.Errorf("notreasso backup once the scheduled one ended: %v", err)
	}

	// Another process holds the lock when the next backup is due (its
	// lock lasts beyond the day the test's clock jumps).
	other, err := repo.New(f.env.DB, f.env.Blobs, repo.Options{Now: func() time.Time { return f.clock.Now().Add(72 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	release, err := other.Maintenance.MaintenanceLock(f.ctx, "backup")
	if err != nil {
		t.Fatal(err)
	}
	f.tick(t, 24*time.Hour)
	if n := len(f.runs(t, KindBackup)); n != 1 {
		t.Fatalf("with the lock held elsewhere: %d backups recorded, want 1 (postponed)", n)
	}
	release()
	go func() { <-bt.entered; bt.release <- struct{}{} }()
	f.tick(t, LockRetry)
	runs := f.runs(t, KindBackup)
	if len(runs) != 2 || !runs[1].OK {
		t.Fatalf("once the lock is free: %+v", runs)
	}
}

// A content altered and another removed in the target: the verification
// fails, the page's status and the metrics say so, and the next backup,
// at once, copies them again; the verification after it succeeds.
func TestCorruptTargetRepaired(t *testing.T) {
	target, dir := dirTarget(t)
	set := config.Backup{Every: 24 * time.Hour, VerifyEvery: 7 * 24 * time.Hour, VerifySample: 100, Targets: []config.BackupTarget{target}}
	f := newFixture(t, set, nil)
	f.put(t, "/compte-rendu.txt", "compte rendu de l'assemblée générale")
	f.put(t, "/budget.txt", "budget prévisionnel 2026")
	f.start(t)
	if v := f.runs(t, KindVerify); len(v) != 1 || !v[0].OK {
		t.Fatalf("first verification: %+v", v)
	}
	var blobs []string
	filepath.Walk(filepath.Join(dir, "blobs"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && !strings.HasPrefix(fi.Name(), ".") {
			blobs = append(blobs, p)
		}
		return nil
	})
	if len(blobs) != 2 {
		t.Fatalf("%d blobs in the target, want 2", len(blobs))
	}
	good, _ := os.ReadFile(blobs[0])
	bad := append([]byte(nil), good...)
	bad[0] ^= 0xff // same size, different content
	os.Chmod(blobs[0], 0o644)
	if err := os.WriteFile(blobs[0], bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(blobs[1]); err != nil {
		t.Fatal(err)
	}
	// Verify now; stop the loop before the repair to look at the failure.
	n := f.s.Loops()
	if err := f.s.Trigger(KindVerify, "admin"); err != nil {
		t.Fatal(err)
	}
	f.settle(t, n)
	v := f.runs(t, KindVerify)
	failed := v[1]
	if failed.OK || !strings.Contains(failed.Error, "inconsistencies") {
		t.Fatalf("verification of the damaged target: %+v", failed)
	}
	// The repair ran in the same loop turn: a backup triggered "repair",
	// then a verification that succeeded.
	b := f.runs(t, KindBackup)
	if last := b[len(b)-1]; !last.OK || last.Trigger != "repair" || last.ID < failed.ID {
		t.Fatalf("repair backup: %+v", b)
	}
	if v = f.runs(t, KindVerify); len(v) != 3 || !v[2].OK {
		t.Fatalf("verification after the repair: %+v", v)
	}
	if got, _ := os.ReadFile(blobs[0]); string(got) != string(good) {
		t.Errorf("the altered content was not copied again")
	}
	if _, err := os.Stat(blobs[1]); err != nil {
		t.Errorf("the removed content was not copied again: %v", err)
	}
	if left, _ := f.env.Repo.Maintenance.BadBlobs(f.ctx, "usb"); len(left) != 0 {
		t.Errorf("damaged contents still listed: %v", left)
	}
	if testutil.ToFloat64(metrics.BackupVerifyOK.WithLabelValues("usb")) != 1 {
		t.Errorf("notreasso_backup_verify_ok after the repair is not 1")
	}
}

// The status and metrics while a verification has failed: checked
// without the loop, which would repair at once.
func TestVerifyFailureShows(t *testing.T) {
	target, dir := dirTarget(t)
	set := config.Backup{Every: 24 * time.Hour, VerifySample: 100, Targets: []config.BackupTarget{target}}
	f := newFixture(t, set, nil)
	f.put(t, "/pv.txt", "procès-verbal")
	f.s.run(f.ctx, KindBackup, target, "test")
	os.RemoveAll(filepath.Join(dir, "blobs"))
	os.Mkdir(filepath.Join(dir, "blobs"), 0o755)
	f.s.run(f.ctx, KindVerify, target, "test")
	st, err := f.s.Status(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Alert != AlertVerifyFailed || st.Targets[0].State != "verify_failed" || !st.Targets[0].NextBackup.Equal(f.clock.Now()) {
		t.Errorf("after a failed verification: alert %q, state %q, next backup %v", st.Alert, st.Targets[0].State, st.Targets[0].NextBackup)
	}
	if testutil.ToFloat64(metrics.BackupVerifyOK.WithLabelValues("usb")) != 0 || testutil.ToFloat64(metrics.BackupStale) != 1 {
		t.Errorf("metrics after a failed verification: verify_ok %v, stale %v",
			testutil.ToFloat64(metrics.BackupVerifyOK.WithLabelValues("usb")), testutil.ToFloat64(metrics.BackupStale))
	}
}
