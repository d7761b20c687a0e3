package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

// The retention API: rules per folder (managers and administrators set
// them, anyone who reads sees them), space used by versions, purges
// (administrators), trash items deleted for good, and the collection that
// frees the content, on disk and in the bucket.
func TestRetentionAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, srv *server.Server) {
		ctx := context.Background()
		c := admin(t, srv)
		if out, err := srv.Run(ctx, strings.NewReader("mot de passe de marie\n"), "user", "add", "marie", "--password-stdin"); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		marie := newClient(t, srv, "marie", "mot de passe de marie")
		mkdirParents(c, "/Brouillons")
		for i := 1; i <= 6; i++ {
			marie.put("/Brouillons/lettre.odt", []byte(fmt.Sprintf("lettre, brouillon %d", i)))
		}
		var e apiErr
		if st := marie.call("PUT", "/api/v1/retention/Brouillons", map[string]any{"keep": "last", "max_versions": 2}, &e); st != 403 {
			t.Errorf("member setting a rule: %d %+v", st, e)
		}
		if st := c.call("PUT", "/api/v1/retention/Brouillons", map[string]any{"keep": "last", "max_versions": 0}, &e); st != 400 {
			t.Errorf("keep last 0: %d %+v", st, e)
		}
		var rule struct {
			Effective struct {
				Path string `json:"path"`
				Rule struct {
					Keep        string `json:"keep"`
					MaxVersions int    `json:"max_versions"`
					Note        string `json:"note"`
				} `json:"rule"`
			} `json:"effective"`
			Inherited bool `json:"inherited"`
		}
		if st := c.call("PUT", "/api/v1/retention/Brouillons", map[string]any{"keep": "last", "max_versions": 2, "note": "les 2 derniers"}, &rule); st != 200 {
			t.Fatalf("set rule: %d", st)
		}
		if st := marie.call("GET", "/api/v1/retention/"+escapePath("/Brouillons/lettre.odt"), nil, &rule); st != 200 || !rule.Inherited ||
			rule.Effective.Path != "/Brouillons" || rule.Effective.Rule.Keep != "last" || rule.Effective.Rule.MaxVersions != 2 {
			t.Errorf("rule seen by marie: %d %+v", st, rule)
		}
		var space struct {
			Versions     int   `json:"versions"`
			HistoryBytes int64 `json:"history_bytes"`
		}
		if st := marie.call("GET", "/api/v1/space/Brouillons", nil, &space); st != 200 || space.Versions != 6 || space.HistoryBytes == 0 {
			t.Errorf("space: %d %+v", st, space)
		}
		if st := marie.call("POST", "/api/v1/admin/purge", map[string]any{}, nil); st != 403 {
			t.Errorf("member purging: %d", st)
		}
		var purge struct {
			Versions int `json:"versions"`
			Files    []struct {
				Path    string `json:"path"`
				Removed []struct {
					Number int    `json:"number"`
					Reason string `json:"reason"`
				} `json:"removed"`
			} `json:"files"`
		}
		if st := c.call("POST", "/api/v1/admin/purge", map[string]any{"dry_run": true}, &purge); st != 200 || purge.Versions != 4 || purge.Files[0].Removed[0].Reason != "over-max" {
			t.Fatalf("dry run: %d %+v", st, purge)
		}
		if st := c.call("POST", "/api/v1/admin/purge", nil, &purge); st != 200 || purge.Versions != 4 {
			t.Fatalf("purge: %d %+v", st, purge)
		}
		var vs struct{ Versions []struct{ Number int } }
		if c.call("GET", "/api/v1/versions/"+escapePath("/Brouillons/lettre.odt"), nil, &vs); len(vs.Versions) != 2 || vs.Versions[0].Number != 6 {
			t.Errorf("versions left: %+v", vs)
		}

		// The trash: one item deleted for good by an administrator.
		marie.put("/à jeter.txt", []byte("à jeter"))
		marie.call("DELETE", "/api/v1/files/"+escapePath("/à jeter.txt"), nil, nil)
		var trash struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
		}
		c.call("GET", "/api/v1/trash", nil, &trash)
		if len(trash.Items) != 1 {
			t.Fatalf("trash: %+v", trash)
		}
		if st := marie.call("DELETE", fmt.Sprintf("/api/v1/trash/%d", trash.Items[0].ID), nil, nil); st != 403 {
			t.Errorf("member (editor) deleting for good: %d", st)
		}
		if st := c.call("DELETE", fmt.Sprintf("/api/v1/trash/%d", trash.Items[0].ID), nil, nil); st != 200 {
			t.Errorf("delete for good: %d", st)
		}
		if st := c.call("DELETE", "/api/v1/trash", nil, nil); st != 200 {
			t.Errorf("empty trash: %d", st)
		}
		// Collect with no grace period: the 4 purged drafts and the trash item go.
		before := len(blobKeys(t, srv))
		out, err := srv.Run(ctx, nil, "gc", "--grace", "0s")
		if err != nil || !strings.Contains(out, "deleted 5") {
			t.Fatalf("gc: %v\n%s", err, out)
		}
		if after := len(blobKeys(t, srv)); after != before-5 {
			t.Errorf("%d blobs after collection, %d before", after, before)
		}
		if st, body, _ := c.get(escapePath("/Brouillons/lettre.odt")+"?version=5", nil); st != 200 || string(body) != "lettre, brouillon 5" {
			t.Errorf("kept version 5: %d %q", st, body)
		}
		if out, err := srv.Run(ctx, nil, "check"); err != nil || !strings.Contains(out, "OK") {
			t.Errorf("check: %v\n%s", err, out)
		}
		var gc map[string]any
		if st := c.call("POST", "/api/v1/admin/gc", map[string]any{"dry_run": true}, &gc); st != 200 || gc["deleted"] != float64(0) {
			t.Errorf("gc API: %d %v", st, gc)
		}
	})
}

// serve applies the rules on its schedule: expired trash items go, then
// versions the rules do not keep, then the content nobody uses.
func TestScheduledMaintenance(t *testing.T) {
	srv := server.Start(t, server.Options{Env: []string{"NOTREASSO_RETENTION_INTERVAL=1s", "NOTREASSO_TRASH_EXPIRY=2s",
		"NOTREASSO_GC_INTERVAL=1s", "NOTREASSO_GC_GRACE=0s", "NOTREASSO_RETENTION_MAX_VERSIONS=2", "NOTREASSO_RETENTION_EVERY_FOR=forever"}})
	c := admin(t, srv)
	// A text file: it has no rendering (a spreadsheet's PDF and thumbnail
	// are blobs of their own, kept while their source lives).
	for i := 1; i <= 4; i++ {
		c.put("/budget.txt", []byte(fmt.Sprintf("budget %d", i)))
	}
	c.put("/vieux.txt", []byte("vieux"))
	c.call("DELETE", "/api/v1/files/vieux.txt", nil, nil)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var vs struct{ Versions []any }
		var trash struct{ Items []any }
		c.call("GET", "/api/v1/versions/budget.txt", nil, &vs)
		c.call("GET", "/api/v1/trash", nil, &trash)
		if len(vs.Versions) == 2 && len(trash.Items) == 0 && len(blobKeys(t, srv)) == 2 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Errorf("after 30 s: versions, trash or blobs not purged; blobs %v", blobKeys(t, srv))
}

// `notreasso gc` with no grace period, run again and again beside the
// server while uploads bring back content it is deleting: every upload
// the server acknowledged stays readable, and check finds nothing wrong.
func TestCollectBesideUploads(t *testing.T) {
	forEachBackend(t, func(t *testing.T, srv *server.Server) {
		ctx := context.Background()
		c := admin(t, srv)
		pool := make([][]byte, 8)
		for i := range pool {
			pool[i] = []byte(fmt.Sprintf("contenu partagé %d %s", i, strings.Repeat("z", i*5000)))
		}
		stop := make(chan struct{})
		collected := make(chan int)
		stopped := false
		stopCollector := func() int {
			if stopped {
				return 0
			}
			stopped = true
			close(stop)
			return <-collected
		}
		// A failing upload ends the test: stop the collector first, so it
		// never reports after the test is over.
		defer stopCollector()
		go func() {
			runs := 0
			for {
				select {
				case <-stop:
					collected <- runs
					return
				default:
				}
				c.call("DELETE", "/api/v1/trash", nil, nil)
				if out, err := srv.Run(ctx, nil, "gc", "--grace", "0s"); err != nil && !strings.Contains(out, "is running") {
					t.Errorf("gc: %v\n%s", err, out)
				}
				runs++
			}
		}()
		type ack struct {
			path string
			body []byte
		}
		var acked []ack
		refused := 0
		deadline := time.Now().Add(8 * time.Second)
		for i := 0; time.Now().Before(deadline); i++ {
			body := pool[i%len(pool)]
			path := fmt.Sprintf("/envoi %d.txt", i)
			resp := c.do("PUT", "/api/v1/files/"+escapePath(path), bytes.NewReader(body), nil)
			answer, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case resp.StatusCode == 503:
				refused++ // the collector held this very content: retry later
				continue
			case resp.StatusCode != 200 && resp.StatusCode != 201:
				t.Fatalf("upload %s: %d %s", path, resp.StatusCode, answer)
			case i%3 != 0: // most go to the trash, and the trash is emptied: content to collect
				c.call("DELETE", "/api/v1/files/"+escapePath(path), nil, nil)
			default:
				acked = append(acked, ack{path, body})
			}
		}
		runs := stopCollector()
		for _, a := range acked {
			if st, got, _ := c.get(escapePath(a.path), nil); st != 200 || !bytes.Equal(got, a.body) {
				t.Errorf("%s after the collections: %d, %d bytes", a.path, st, len(got))
			}
		}
		if out, err := srv.Run(ctx, nil, "check"); err != nil || !strings.Contains(out, "OK") {
			t.Errorf("check: %v\n%s", err, out)
		}
		t.Logf("%d uploads kept, %d refused while collected, %d collections", len(acked), refused, runs)
	})
}
