package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notreasso/internal/testutil/s3server"
	"notreasso/storage"
	blobfs "notreasso/storage/fs"
	"notreasso/storage/s3"
)

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// After thinning, the contents only removed snapshots referred to are
// deleted from the target, and nothing a kept snapshot needs: every kept
// snapshot still restores and verifies clean. A sweep cut short is
// finished by the next backup; a kept snapshot that cannot be read stops
// the sweep before it deletes anything. On a directory and on an S3
// bucket (versitygw).
func TestSweepAfterThinning(t *testing.T) {
	for _, kind := range []string{"dir", "s3"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			var target Target
			switch kind {
			case "dir":
				d, err := OpenDir(filepath.Join(t.TempDir(), "sauvegarde"))
				if err != nil {
					t.Fatal(err)
				}
				target = d
			case "s3":
				srv := s3server.New(t)
				st, err := s3.New(ctx, s3.Config{Endpoint: srv.Endpoint, Region: s3server.Region, Bucket: "sauvegardes", Prefix: "asso/",
					AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, PathStyle: true, CreateBucket: true}, nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				r, err := OpenRemote(st, "hors-site")
				if err != nil {
					t.Fatal(err)
				}
				target = r
			}
			blobs := target.Blobs()
			has := func(content string) bool {
				_, err := blobs.Stat(ctx, sum(content))
				if err != nil && !errors.Is(err, storage.ErrNotFound) {
					t.Fatal(err)
				}
				return err == nil
			}
			in := open(t, t.TempDir())
			defer in.db.Close()
			in.db.W.Exec(`INSERT INTO users (id, login, role, created_at) VALUES (1, 'admin', 'admin', 0)`)
			clock := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
			backup := func(keep int) Report {
				t.Helper()
				clock = clock.Add(time.Hour)
				now := clock
				rep, err := Backup(ctx, in.r, target, Options{TempDir: in.data, Keep: keep, Now: func() time.Time { return now }})
				if err != nil {
					t.Fatalf("backup: %+v %v", rep, err)
				}
				return rep
			}
			forget := func(path string) {
				t.Helper()
				if err := in.r.Tree.Delete(ctx, admin, path); err != nil {
					t.Fatal(err)
				}
				if _, err := in.r.History.EmptyTrash(ctx, admin, time.Now().Add(time.Hour)); err != nil {
					t.Fatal(err)
				}
			}

			in.put(t, "/ancien-budget.txt", "budget 2024, oublié depuis")
			in.put(t, "/statuts.txt", "statuts de l'association")
			backup(2)
			forget("/ancien-budget.txt")
			in.put(t, "/pv.txt", "procès-verbal de l'AG")
			if rep := backup(2); len(rep.Pruned) != 0 || rep.Swept != 0 || !has("budget 2024, oublié depuis") {
				t.Fatalf("nothing pruned: swept %d, the first snapshot's content kept %v", rep.Swept, has("budget 2024, oublié depuis"))
			}
			rep := backup(2) // the first snapshot goes, and the content only it had
			if len(rep.Pruned) != 1 || rep.Swept != 1 || rep.Reclaimed != int64(len("budget 2024, oublié depuis")) {
				t.Fatalf("after thinning: pruned %v, swept %d (%d bytes)", rep.Pruned, rep.Swept, rep.Reclaimed)
			}
			if has("budget 2024, oublié depuis") || !has("statuts de l'association") || !has("procès-verbal de l'AG") {
				t.Fatal("the sweep deleted the wrong contents")
			}
			snaps, _ := Snapshots(ctx, target)
			for _, s := range snaps {
				if vr, err := Verify(ctx, target, VerifyOptions{Snapshot: s, TempDir: t.TempDir(), Sample: 100}); err != nil || len(vr.Bad) != 0 {
					t.Errorf("verify %s after the sweep: %v %v", s, err, vr.Bad)
				}
				fresh := filepath.Join(t.TempDir(), "data")
				bs, _ := blobfs.New(filepath.Join(fresh, "blobs"))
				if rr, err := Restore(ctx, target, RestoreOptions{Snapshot: s, Data: fresh, Blobs: bs}); err != nil || len(rr.Missing) != 0 {
					t.Errorf("restore %s after the sweep: %+v %v", s, rr, err)
				}
			}

			// A sweep cut short (its marker left behind) is finished by the
			// next backup, which prunes nothing itself; without the marker,
			// a backup that prunes nothing does not sweep.
			orphan := "une copie qu'aucun instantané ne cite"
			if err := blobs.Put(ctx, sum(orphan), strings.NewReader(orphan), int64(len(orphan))); err != nil {
				t.Fatal(err)
			}
			if rep := backup(5); rep.Swept != 0 || !has(orphan) {
				t.Fatalf("no pruning, no marker: swept %d", rep.Swept)
			}
			if err := target.PutMeta(ctx, sweepMarker, strings.NewReader("1"), 1); err != nil {
				t.Fatal(err)
			}
			if rep := backup(5); rep.Swept != 1 || has(orphan) {
				t.Fatalf("marker left by a cut sweep: swept %d, orphan still there %v", rep.Swept, has(orphan))
			}
			if rc, err := target.GetMeta(ctx, sweepMarker); err == nil {
				rc.Close()
				t.Error("the marker stays after the sweep finished")
			}

			// A kept snapshot that cannot be read: nothing is deleted.
			if err := blobs.Put(ctx, sum(orphan), strings.NewReader(orphan), int64(len(orphan))); err != nil {
				t.Fatal(err)
			}
			snaps, _ = Snapshots(ctx, target)
			var m Manifest
			if err := readManifest(ctx, target, snaps[0], &m); err != nil {
				t.Fatal(err)
			}
			if err := target.PutMeta(ctx, m.Snapshot, strings.NewReader("abîmé"), int64(len("abîmé"))); err != nil {
				t.Fatal(err)
			}
			if n, _, err := Sweep(ctx, target, t.TempDir()); err == nil || n != 0 || !has(orphan) || !has("statuts de l'association") {
				t.Errorf("sweep with a damaged snapshot: %d deleted, %v", n, err)
			}
		})
	}
}
