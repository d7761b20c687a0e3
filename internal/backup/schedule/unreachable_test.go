package schedule

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notreasso/internal/config"
	"notreasso/internal/testutil/s3server"
)

// An off-site bucket whose server is down: the backup due at the next
// period fails and says so (state, failures, banner) within that period;
// it is retried after RetryFirst, then twice as long; the first try after
// the server comes back succeeds, and the repository kept working all
// along.
func TestUnreachableTarget(t *testing.T) {
	s3 := s3server.New(t)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte(s3.SecretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	target := config.BackupTarget{Name: "hors-site", Kind: "s3", S3: config.BackupS3{Endpoint: s3.Endpoint, Region: s3server.Region,
		Bucket: "sauvegardes", Prefix: "asso/", AccessKey: s3.AccessKey, SecretKeyFile: secret, PathStyle: true, CreateBucket: true}}
	set := config.Backup{Every: 24 * time.Hour, Targets: []config.BackupTarget{target}}
	f := newFixture(t, set, nil)
	f.put(t, "/statuts.txt", "statuts de l'association")
	f.start(t)
	if b := f.runs(t, KindBackup); len(b) != 1 || !b[0].OK {
		t.Fatalf("first backup: %+v", b)
	}

	s3.Kill()
	f.put(t, "/pv.txt", "procès-verbal") // the repository works without the target
	f.tick(t, 24*time.Hour)
	b := f.runs(t, KindBackup)
	if len(b) != 2 || b[1].OK || b[1].StartedAt.Sub(b[0].StartedAt) != 24*time.Hour {
		t.Fatalf("the backup due one period later with the target down: %+v", b)
	}
	st, err := f.s.Status(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Targets[0].State != "failing" || st.Targets[0].Failures != 1 || st.Alert != AlertFailing {
		t.Errorf("status with the target down: state %q, failures %d, alert %q", st.Targets[0].State, st.Targets[0].Failures, st.Alert)
	}
	t.Logf("the failure as recorded: %s", b[1].Error)
	// Retried after RetryFirst: still down.
	f.tick(t, RetryFirst)
	if b = f.runs(t, KindBackup); len(b) != 3 || b[2].OK || b[2].Trigger != "retry" {
		t.Fatalf("first retry: %+v", b[2:])
	}
	// Then after twice as long; not before (no timer fires).
	f.clock.Advance(RetryFirst)
	if n := len(f.runs(t, KindBackup)); n != 3 {
		t.Fatalf("%d backups %v after the first retry, want none more before %v", n-3, RetryFirst, 2*RetryFirst)
	}
	s3.Start()
	f.tick(t, RetryFirst)
	b = f.runs(t, KindBackup)
	if len(b) != 4 || !b[3].OK || !strings.HasPrefix(b[3].Snapshot, "notreasso-") {
		t.Fatalf("once the server is back: %+v", b[3:])
	}
	if st, _ = f.s.Status(f.ctx); st.Targets[0].State != "ok" || st.Alert != AlertNone {
		t.Errorf("status once back: state %q, alert %q", st.Targets[0].State, st.Alert)
	}
}
