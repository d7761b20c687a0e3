package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/config"
	"notreasso/internal/meta"
	"notreasso/internal/repo"
	"notreasso/internal/testutil/fakeclock"
	"notreasso/internal/testutil/testdb"
	blobfs "notreasso/storage/fs"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// Two servers on one PostgreSQL database and one blob store each run the
// schedule's loop: every due backup and verification runs once for the
// cluster, not once per server, and each backup restores.
func TestScheduleOncePerCluster(t *testing.T) {
	ctx := context.Background()
	dsn := testdb.NewPostgres(t)
	target, dir := dirTarget(t)
	set := config.Backup{Every: 24 * time.Hour, VerifyEvery: 2 * 24 * time.Hour, VerifySample: 5, Daily: 7, Weekly: 4, Targets: []config.BackupTarget{target}}
	clock := fakeclock.New(time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC))
	blobs := filepath.Join(t.TempDir(), "blobs") // as one S3 bucket
	log := slog.New(slog.DiscardHandler)
	var nodes []*fixture
	for range 2 {
		db, err := meta.Open(ctx, dsn, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		bs, err := blobfs.New(blobs)
		if err != nil {
			t.Fatal(err)
		}
		r, err := repo.New(db, bs, repo.Options{Now: clock.Now, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		s := New(Options{Repo: r, Live: bs, File: set, TempDir: t.TempDir(), Version: "test", Logger: log, Clock: clock})
		nodes = append(nodes, &fixture{clock: clock, s: s, ctx: ctx})
	}
	a := nodes[0]
	if _, err := a.s.o.Repo.Maintenance.BackupRuns(ctx, 1); err != nil { // the schema is there
		t.Fatal(err)
	}
	db, _ := meta.Open(ctx, dsn, log)
	defer db.Close()
	if _, err := db.W.ExecContext(ctx, `INSERT INTO users (id, login, role, created_at) VALUES (1, 'admin', 'admin', 0)`); err != nil {
		t.Fatal(err)
	}
	db.SyncIDs(ctx)
	adm := acl.Principal{UserID: 1, Login: "admin", Role: acl.Admin}
	put := func(path, body string) {
		if _, _, err := a.s.o.Repo.Tree.Put(ctx, adm, path, strings.NewReader(body), repo.PutOptions{Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
	}
	put("/day-0.txt", "le premier jour")
	for _, n := range nodes {
		n.start(t)
	}
	// Both loops wait again once each has done its part of what was due.
	tick := func(d time.Duration) {
		before := []int64{nodes[0].s.Loops(), nodes[1].s.Loops()}
		clock.Advance(d)
		for i, n := range nodes {
			n.settle(t, before[i])
		}
	}
	const days = 6
	for d := 1; d <= days; d++ {
		put(fmt.Sprintf("/day-%d.txt", d), fmt.Sprintf("le jour %d", d))
		tick(12 * time.Hour)
		tick(12 * time.Hour)
	}
	// A server that saw the backup due, then got the lock only after
	// another had done it, leaves it done.
	if r, err := nodes[1].s.run(ctx, KindBackup, target, "schedule"); err != nil || r.ID != 0 {
		t.Errorf("a run already done by another server ran again: %+v %v", r, err)
	}
	all, err := a.s.o.Repo.Maintenance.BackupRuns(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	count := map[string]int{}
	for _, r := range all {
		if !r.OK {
			t.Errorf("run failed: %+v", r)
		}
		count[r.Kind]++
		seen[r.Kind+" "+r.StartedAt.Format(time.RFC3339)]++
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("%s ran %d times", k, n)
		}
	}
	if count[KindBackup] != days+1 {
		t.Errorf("%d backups in %d days on two servers, want %d", count[KindBackup], days, days+1)
	}
	if count[KindVerify] < 3 || count[KindVerify] > days/2+1 {
		t.Errorf("%d verifications in %d days, verifying every 2 days", count[KindVerify], days)
	}
	if got := len(snapshots(t, dir)); got != days+1 {
		t.Errorf("%d snapshots in the target, want %d", got, days+1)
	}
}
