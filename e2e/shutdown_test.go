package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

// TestSIGTERMJoinsBackgroundWork stops the server while uploads stream in,
// the indexer works through them and maintenance runs every second: every
// background job must have returned before the database closes, the
// process must exit cleanly, and the repository must check clean after.
func TestSIGTERMJoinsBackgroundWork(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real server")
	}
	srv := server.Start(t, server.Options{Env: []string{
		"NOTREASSO_RETENTION_INTERVAL=1s", "NOTREASSO_GC_INTERVAL=1s", "NOTREASSO_GC_GRACE=0s",
	}})
	// Enough files that the indexer is still busy when the signal comes.
	hc := &http.Client{Timeout: 30 * time.Second}
	// With no grace period a sweep may take the content of an upload still
	// being stored; the server then answers 503 and the client, as told,
	// sends it again (nothing was acknowledged, nothing is lost).
	put := func(path string, body []byte) error {
		for try := 0; ; try++ {
			req, _ := http.NewRequest("PUT", srv.URL+"/api/v1/files/"+escapePath(path), bytes.NewReader(body))
			req.SetBasicAuth("admin", server.AdminPassword)
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable && try < 5 {
				continue
			}
			if resp.StatusCode >= 300 {
				return fmt.Errorf("PUT %s: %d", path, resp.StatusCode)
			}
			return nil
		}
	}
	c := admin(t, srv)
	for i := range 5 {
		mkdirParents(c, fmt.Sprintf("/Archives/lot %d", i))
		mkdirParents(c, fmt.Sprintf("/Envois/w%d", i))
	}
	for i := range 150 {
		body := fmt.Appendf(nil, "compte rendu %d\n%s", i, strings.Repeat("réunion du bureau ", 200+i))
		if err := put(fmt.Sprintf("/Archives/lot %d/pv %03d.txt", i%5, i), body); err != nil {
			t.Fatal(err)
		}
	}
	// Purges and sweeps run every second from now on.
	for _, job := range []string{"maintenance.purge", "maintenance.gc"} {
		waitMetric(t, srv, "notreasso_job_duration_seconds", map[string]string{"job": job}, func(v float64) bool { return v >= 1 })
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				// Errors are expected once the server goes away.
				if put(fmt.Sprintf("/Envois/w%d/f%d.txt", w, i%7), fmt.Appendf(nil, "envoi %d %s", i, strings.Repeat("z", 50000))) != nil {
					return
				}
			}
		})
	}
	waitMetric(t, srv, "notreasso_uploads_in_flight", nil, func(v float64) bool { return v >= 1 })
	srv.Stop()
	close(stop)
	wg.Wait()
	if code := srv.Cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}
	out := srv.Out.String()
	if strings.Contains(out, "database is closed") {
		t.Errorf("something used the database after it closed:\n%s", grepLines(out, "database is closed"))
	}
	jobsAt, dbAt := strings.Index(out, "background jobs stopped"), strings.Index(out, "database closed")
	if jobsAt < 0 || dbAt < 0 || jobsAt > dbAt {
		t.Errorf("want «background jobs stopped» (at %d) before «database closed» (at %d)", jobsAt, dbAt)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if res, err := srv.Run(ctx, nil, "check"); err != nil || !strings.Contains(res, "OK: no inconsistency") {
		t.Errorf("check after SIGTERM: %v\n%s", err, res)
	}
}

func grepLines(s, sub string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}
