package web

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/storage"
)

// readyTimeout bounds one /readyz answer: a check still running then fails.
// The S3 client gives up on a dead server after about 3 s of retries.
const readyTimeout = 5 * time.Second

type readyCheck struct {
	name  string
	check func(ctx context.Context) error
}

// AddReadyCheck adds a readiness check: /readyz answers 503 while check
// returns an error. The database and storage checks are built in; others
// (the search index) register theirs when they start. Checks run
// concurrently and must return promptly when ctx ends. A second check with
// the same name replaces the first.
func (s *Server) AddReadyCheck(name string, check func(ctx context.Context) error) {
	s.readyMu.Lock()
	defer s.readyMu.Unlock()
	for i, rc := range s.readyChecks {
		if rc.name == name {
			s.readyChecks[i].check = check
			return
		}
	}
	s.readyChecks = append(s.readyChecks, readyCheck{name, check})
}

// healthz answers as long as the process serves requests.
func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok", "version": s.version})
}

// readyz runs every readiness check; 503 if any fails.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), readyTimeout)
	defer cancel()
	s.readyMu.Lock()
	checks := append([]readyCheck(nil), s.readyChecks...)
	s.readyMu.Unlock()

	results := make([]error, len(checks))
	var wg sync.WaitGroup
	for i, rc := range checks {
		wg.Go(func() { results[i] = runCheck(ctx, rc) })
	}
	wg.Wait()
	out := fiber.Map{}
	ok := true
	for i, rc := range checks {
		if err := results[i]; err != nil {
			out[rc.name], ok = err.Error(), false
		} else {
			out[rc.name] = "ok"
		}
		s.logReadiness(ctx, rc.name, results[i])
	}
	status := fiber.StatusOK
	if !ok {
		status = fiber.StatusServiceUnavailable
	}
	resp := fiber.Map{"ready": ok, "checks": out}
	if s.backups != nil {
		resp["details"] = fiber.Map{"backup": backupDetails(ctx, s.backups)}
	}
	return c.Status(status).JSON(resp)
}

// backupDetails is the state of the backups in /readyz: informative, never
// a reason to be unready (a late backup does not stop serving). Names of
// targets and times only: /readyz answers anyone, so no path, address or
// error text.
func backupDetails(ctx context.Context, b Backups) fiber.Map {
	st, err := b.Status(ctx)
	if err != nil {
		return fiber.Map{"error": "state unreadable"}
	}
	unix := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.Unix()
	}
	var targets []fiber.Map
	for _, t := range st.Targets {
		m := fiber.Map{"name": t.Name, "kind": t.Kind, "state": t.State, "failures": t.Failures,
			"last_success": unix(t.LastOK.FinishedAt), "last_verify": unix(t.LastVerify.FinishedAt), "verify_ok": t.LastVerify.ID != 0 && t.LastVerify.OK}
		if t.LastOK.ID != 0 {
			m["snapshots"], m["size_bytes"], m["duration_seconds"] = t.LastOK.Snapshots, t.LastOK.Stored, t.LastOK.Duration.Seconds()
		}
		targets = append(targets, m)
	}
	return fiber.Map{"ok": st.Alert == "", "alert": st.Alert, "last_success": unix(st.LastOK), "last_verify": unix(st.LastVerify),
		"next_run": unix(st.NextRun), "running": st.Running, "targets": targets}
}

// logReadiness logs a check's changes of state, not every probe: load
// balancers and orchestrators poll /readyz every few seconds, and an index
// being built stays "not ready" for minutes.
func (s *Server) logReadiness(ctx context.Context, name string, err error) {
	s.readyMu.Lock()
	failing := s.readyFailing[name]
	if s.readyFailing == nil {
		s.readyFailing = map[string]bool{}
	}
	s.readyFailing[name] = err != nil
	s.readyMu.Unlock()
	switch {
	case err != nil && !failing:
		s.log.WarnContext(ctx, "not ready", "check", name, "err", err)
	case err == nil && failing:
		s.log.InfoContext(ctx, "ready again", "check", name)
	}
}

// runCheck runs one check, turning a panic or a check that ignores ctx
// into an error instead of a stuck or crashed probe.
func runCheck(ctx context.Context, rc readyCheck) (err error) {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("check panicked: %v", p)
			}
		}()
		done <- rc.check(ctx)
	}()
	select {
	case err = <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("no answer within %v: %w", readyTimeout, ctx.Err())
	}
}

// pingStore uses the store's own Ping if it has one, else a Stat of a key
// that cannot exist: ErrNotFound proves the store answered.
func pingStore(ctx context.Context, b storage.BlobStore) error {
	if p, ok := b.(storage.Pinger); ok {
		return p.Ping(ctx)
	}
	_, err := b.Stat(ctx, "00000000000000000000000000000000")
	if err == nil || errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	return err
}
