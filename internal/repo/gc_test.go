package repo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"notreasso/internal/retention"
	"notreasso/storage"
	blobfs "notreasso/storage/fs"
)

func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func (e *env) hasBlob(t *testing.T, content string) bool {
	t.Helper()
	_, err := e.blobs.Stat(context.Background(), hashOf(content))
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func TestTrashPurgeAndCollect(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	clk := e.withClock(time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC))
	e.s.Tree.MkdirAll(ctx, e.admin, "/Vieux/Sous-dossier")
	e.put(t, e.member, "/Vieux/Sous-dossier/a.txt", "contenu a v1")
	e.put(t, e.member, "/Vieux/Sous-dossier/a.txt", "contenu a v2")
	e.put(t, e.member, "/Vieux/partagé.txt", "contenu partagé")
	e.put(t, e.member, "/Garder.txt", "contenu partagé") // same content, still live
	e.s.Tree.SetTags(ctx, e.member, "/Vieux/Sous-dossier/a.txt", []string{"ag"})
	e.s.History.SetRetention(ctx, e.admin, "/Vieux", retention.Policy{KeepAll: true}, "")
	if err := e.s.Tree.Delete(ctx, e.member, "/Vieux"); err != nil {
		t.Fatal(err)
	}
	clk.set(clk.now().Add(10 * 24 * time.Hour))
	e.put(t, e.member, "/Récent.txt", "récent")
	e.s.Tree.Delete(ctx, e.member, "/Récent.txt")
	trash, _ := e.s.History.Trash(ctx, e.admin)
	if len(trash) != 2 {
		t.Fatalf("trash: %+v", trash)
	}
	var old int64
	for _, it := range trash {
		if it.Name == "Vieux" {
			old = it.ID
		}
	}
	if _, err := e.s.History.PurgeTrashItem(ctx, e.member, old); !errors.Is(err, ErrForbidden) {
		t.Errorf("member (editor) purging a trash item: %v", err)
	}
	if _, err := e.s.History.PurgeTrashItem(ctx, e.guest, old); !errors.Is(err, ErrNotFound) {
		t.Errorf("guest purging a trash item: %v", err)
	}
	if _, err := e.s.History.EmptyTrash(ctx, e.member, time.Time{}); !errors.Is(err, ErrForbidden) {
		t.Errorf("member emptying the trash: %v", err)
	}
	// Expiry after 30 days: at day 35 only the folder trashed on day 0 goes.
	clk.set(time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC).Add(35 * 24 * time.Hour))
	purged, err := e.s.History.EmptyTrash(ctx, System, clk.now().Add(-30*24*time.Hour))
	if err != nil || len(purged) != 1 {
		t.Fatalf("expire trash: %+v %v", purged, err)
	}
	p := purged[0]
	if p.Path != "/Vieux" || p.Nodes != 4 || p.Files != 2 || p.Versions != 3 {
		t.Errorf("purged %+v, want /Vieux: 4 nodes, 2 files, 3 versions", p)
	}
	var left int
	e.s.db.R.QueryRow(`SELECT (SELECT count(*) FROM nodes WHERE name IN ('Vieux', 'Sous-dossier', 'a.txt', 'partagé.txt'))
		+ (SELECT count(*) FROM retention_rules) + (SELECT count(*) FROM node_tags)`).Scan(&left)
	if left != 0 {
		t.Errorf("%d rows of the purged folder left", left)
	}
	if trash, _ := e.s.History.Trash(ctx, e.admin); len(trash) != 1 || trash[0].Name != "Récent.txt" {
		t.Errorf("trash after expiry: %+v", trash)
	}
	// Collection: the purge is when the content was last referenced, so it
	// stays for the grace period, then goes; shared and trashed-but-kept
	// content stays.
	rep, err := e.s.Maintenance.CollectGarbage(ctx, System, GCOptions{Grace: time.Hour})
	if err != nil || rep.Deleted != 0 || rep.Young != 2 {
		t.Fatalf("collect within the grace period: %+v %v", rep, err)
	}
	clk.set(clk.now().Add(2 * time.Hour))
	rep, err = e.s.Maintenance.CollectGarbage(ctx, System, GCOptions{Grace: time.Hour})
	if err != nil || rep.Deleted != 2 || rep.Unreferenced != 2 {
		t.Fatalf("collect: %+v %v", rep, err)
	}
	for content, want := range map[string]bool{"contenu a v1": false, "contenu a v2": false, "contenu partagé": true, "récent": true} {
		if got := e.hasBlob(t, content); got != want {
			t.Errorf("blob of %q present = %v, want %v", content, got, want)
		}
	}
	var actions []string
	rows, _ := e.s.db.R.Query(`SELECT action FROM journal WHERE action IN ('purge_trash', 'gc') ORDER BY seq`)
	for rows.Next() {
		var a string
		rows.Scan(&a)
		actions = append(actions, a)
	}
	rows.Close()
	if strings.Join(actions, ",") != "purge_trash,gc" {
		t.Errorf("journal: %v", actions)
	}
	// Emptying everything, as an administrator.
	if purged, err := e.s.History.EmptyTrash(ctx, e.admin, time.Time{}); err != nil || len(purged) != 1 {
		t.Errorf("empty trash: %+v %v", purged, err)
	}
}

func TestCollectOrphansGraceAndLock(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.put(t, e.member, "/a.txt", "vivant")
	// Objects no row records: a crash between storing and recording.
	oldOrphan, youngOrphan := "orphelin ancien", "orphelin récent"
	for _, c := range []string{oldOrphan, youngOrphan} {
		if err := e.blobs.Put(ctx, hashOf(c), strings.NewReader(c), int64(len(c))); err != nil {
			t.Fatal(err)
		}
	}
	p, _ := e.blobs.LocalPath(hashOf(oldOrphan))
	past := time.Now().Add(-48 * time.Hour)
	os.Chtimes(p, past, past)

	release, err := e.s.Maintenance.MaintenanceLock(ctx, "backup")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Maintenance.CollectGarbage(ctx, System, GCOptions{Grace: 24 * time.Hour}); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "backup") {
		t.Errorf("collection during a backup: %v", err)
	}
	release()
	rep, err := e.s.Maintenance.CollectGarbage(ctx, System, GCOptions{Grace: 24 * time.Hour, DryRun: true})
	if err != nil || rep.Deleted != 1 || rep.Orphans != 2 || rep.Young != 1 || rep.Stored != 3 || !e.hasBlob(t, oldOrphan) {
		t.Fatalf("dry run: %+v %v", rep, err)
	}
	rep, err = e.s.Maintenance.CollectGarbage(ctx, System, GCOptions{Grace: 24 * time.Hour})
	if err != nil || rep.Deleted != 1 || e.hasBlob(t, oldOrphan) || !e.hasBlob(t, youngOrphan) || !e.hasBlob(t, "vivant") {
		t.Fatalf("collect: %+v %v", rep, err)
	}
	var rows int
	e.s.db.R.QueryRow(`SELECT count(*) FROM blobs`).Scan(&rows)
	if rows != 1 {
		t.Errorf("%d blob rows, want 1", rows)
	}
}

// A collector that died between marking a blob and deleting it leaves a
// 'deleting' row: the next collection finishes it, and an upload of that
// very content meanwhile finishes it itself (the lock being free), then
// stores the content again.
func TestInterruptedCollection(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for _, c := range []string{"un", "deux"} {
		e.put(t, e.member, "/"+c, c)
		e.s.Tree.Delete(ctx, e.member, "/"+c)
	}
	e.s.History.EmptyTrash(ctx, System, time.Time{})
	e.s.db.W.Exec(`UPDATE blobs SET state = 'deleting', deleting_since = 1`)
	e.put(t, e.member, "/un-bis", "un")
	if got := e.read(t, e.member, "/un-bis", 0); got != "un" {
		t.Fatalf("re-uploaded content reads %q", got)
	}
	rep, err := e.s.Maintenance.CollectGarbage(ctx, System, GCOptions{Grace: time.Hour})
	if err != nil || rep.Resumed != 1 || e.hasBlob(t, "deux") || !e.hasBlob(t, "un") {
		t.Fatalf("collect: %+v %v", rep, err)
	}
}

// slowStore is the real local store with pauses around its writes and
// deletes, to widen the windows a race between uploads and the collector
// needs.
type slowStore struct {
	*blobfs.Store
}

func pause() { time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond) }

func (s slowStore) PutFile(ctx context.Context, key, path string) error {
	pause()
	err := s.Store.PutFile(ctx, key, path)
	pause()
	return err
}

func (s slowStore) Delete(ctx context.Context, key string) error {
	pause()
	return s.Store.Delete(ctx, key)
}

// Uploads that bring content the collector is deleting at that very
// moment: every acknowledged upload must stay readable. With a grace
// period, no upload may even fail; with none (blobs collectable at once),
// an upload may be refused with ErrUnavailable, never acknowledged and lost.
func TestCollectWhileUploading(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		grace     time.Duration
		mayRefuse bool
	}{
		{"grace period, content unused for days", time.Hour, false},
		{"no grace period", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			e.s.blobs = slowStore{e.blobs}
			e.withClock(time.Now().Add(-72 * time.Hour))
			// A pool of contents, stored, then unreferenced: all collectable.
			pool := make([]string, 32)
			for i := range pool {
				pool[i] = fmt.Sprintf("contenu partagé n°%d ", i) + strings.Repeat("x", i*100)
				e.put(t, e.member, fmt.Sprintf("/ancien-%d", i), pool[i])
				e.s.Tree.Delete(ctx, e.member, fmt.Sprintf("/ancien-%d", i))
			}
			if _, err := e.s.History.EmptyTrash(ctx, System, time.Time{}); err != nil {
				t.Fatal(err)
			}
			e.s.now = time.Now // from here on, real time

			var uploaders sync.WaitGroup
			var acked sync.Map // path → content
			var refused, collected atomic.Int64
			for w := 0; w < 4; w++ {
				uploaders.Add(1)
				go func(w int) {
					defer uploaders.Done()
					r := rand.New(rand.NewPCG(uint64(w), 9))
					for i := 0; i < 40; i++ {
						c := pool[r.IntN(len(pool))]
						path := fmt.Sprintf("/w%d-%d", w, i)
						_, _, err := e.s.Tree.Put(ctx, e.member, path, strings.NewReader(c), PutOptions{Size: int64(len(c))})
						switch {
						case err == nil:
							acked.Store(path, c)
						case tt.mayRefuse && errors.Is(err, ErrUnavailable):
							refused.Add(1)
						default:
							t.Errorf("upload %s: %v", path, err)
						}
						if r.IntN(5) != 0 { // most go again, feeding the collector
							acked.Delete(path)
							e.s.Tree.Delete(ctx, e.member, path)
						}
					}
				}(w)
			}
			stop := make(chan struct{})
			collector := make(chan struct{})
			go func() {
				defer close(collector)
				for {
					select {
					case <-stop:
						return
					default:
					}
					e.s.History.EmptyTrash(ctx, System, time.Time{})
					rep, err := e.s.Maintenance.CollectGarbage(ctx, System, GCOptions{Grace: tt.grace})
					if err != nil && !errors.Is(err, ErrUnavailable) {
						t.Errorf("collect: %v", err)
					}
					collected.Add(int64(rep.Deleted))
				}
			}()
			uploaders.Wait()
			close(stop)
			<-collector
			n := 0
			acked.Range(func(k, v any) bool {
				n++
				if got := e.read(t, e.member, k.(string), 0); got != v.(string) {
					t.Errorf("%s reads %q after the collection, want %q", k, got, v)
				}
				return true
			})
			var dangling int
			e.s.db.R.QueryRow(`SELECT count(*) FROM versions v WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = v.blob AND b.state = 'live')`).Scan(&dangling)
			if dangling != 0 {
				t.Errorf("%d versions refer to a blob that is not live", dangling)
			}
			if collected.Load() == 0 {
				t.Error("the collector deleted nothing: the race was not exercised")
			}
			t.Logf("%d uploads kept and readable, %d refused, %d blobs collected meanwhile", n, refused.Load(), collected.Load())
		})
	}
}
