package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"notreasso/internal/pgserver"
)

// searchPostgres measures the docs section's installation again after
// moving it to PostgreSQL the way a hoster does: the same query mix and
// misspelt mix, as the same reader, first on SQLite, then — server
// stopped, `notreasso db migrate`, server started on PostgreSQL with the
// same data directory (blob store, search index) — on PostgreSQL, so the
// ratio compares the two metadata stores on the same index. srv runs on
// SQLite when called and on PostgreSQL after.
func (b *bench) searchPostgres(ctx context.Context, srv *notreasso) *section {
	s := b.pgSearchSection()
	if _, err := pgserver.Bin("initdb"); err != nil {
		s.Skipped = err.Error()
		return s
	}
	if err := b.searchPostgresRun(ctx, s, srv); err != nil {
		s.Skipped = "failed: " + err.Error()
	}
	return s
}

func (b *bench) pgSearchSection() *section {
	return &section{ID: "search-pg", Title: fmt.Sprintf("Search at %d documents: PostgreSQL next to SQLite", b.docs)}
}

// storeRun is one metadata store's run of both mixes.
type storeRun struct {
	mix       mixRun
	typo      typoRun
	dbCPU     time.Duration // PostgreSQL's CPU per query of the query mix (0 on SQLite)
	dbCPUTypo time.Duration // and of the misspelt mix, both spellings
	idleOK    bool
	settled   time.Duration
}

func (b *bench) searchPostgresRun(ctx context.Context, s *section, srv *notreasso) error {
	visible := func(f int) bool { m := f % 5; return m == 0 || m == 1 || m == 3 }
	qs, tqs := queries(b.queries, b.docs), typoQueries(b.queries, b.docs, visible)
	run := func(dbCPU func() (time.Duration, error)) (storeRun, error) {
		var r storeRun
		// The server and PostgreSQL (autovacuum after the copy) both idle.
		both := func() (time.Duration, error) {
			a, err := srv.cpuTime()
			if err != nil {
				return 0, err
			}
			d, err := dbCPU()
			return a + d, err
		}
		busy, _, idle, err := waitIdleCPU(ctx, both, 15*time.Minute)
		if err != nil {
			return r, err
		}
		r.settled, r.idleOK = busy, idle
		c0, err := dbCPU()
		if err != nil {
			return r, err
		}
		if r.mix, err = runMix(ctx, srv, qs); err != nil {
			return r, err
		}
		c1, err := dbCPU()
		if err != nil {
			return r, err
		}
		if r.typo, err = runTypoMix(ctx, srv, tqs); err != nil {
			return r, err
		}
		c2, err := dbCPU()
		if err != nil {
			return r, err
		}
		r.dbCPU, r.dbCPUTypo = (c1-c0)/time.Duration(len(qs)), (c2-c1)/time.Duration(2*len(tqs))
		return r, nil
	}
	none := func() (time.Duration, error) { return 0, nil }
	lite, err := run(none)
	if err != nil {
		return fmt.Errorf("SQLite: %w", err)
	}

	pg, err := pgserver.Start()
	if err != nil {
		return err
	}
	defer pg.Stop()
	// Before PostgreSQL stops; a closure, as srv's process changes below.
	defer func() { srv.stop() }()
	if err := pg.Exec("CREATE DATABASE docs"); err != nil {
		return err
	}
	gen := func() string {
		b, _ := os.ReadFile(filepath.Join(srv.Data, "index", "CURRENT"))
		return strings.TrimSpace(string(b))
	}
	before := gen()
	srv.stop()
	migrate, rows, err := b.dbMigrate(ctx, srv, pg.URL("docs"))
	if err != nil {
		return err
	}
	srv.env = append(srv.env, "NOTREASSO_DATABASE_URL="+pg.URL("docs"))
	if err := srv.startLog(ctx, filepath.Join(b.dir, "docs-pg.log"), 30*time.Minute); err != nil {
		return fmt.Errorf("server on PostgreSQL: %w", err)
	}
	index := "the search index reused (same generation)"
	if after := gen(); after != before {
		index = fmt.Sprintf("the search index **rebuilt** (generation %q, was %q)", after, before)
	}
	pgr, err := run(func() (time.Duration, error) { return treeCPU(pg.PID()) })
	if err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}

	s.add("moving to PostgreSQL", fmt.Sprintf("%s rows copied and checked in %s; server start on PostgreSQL → `/readyz` %s, %s",
		rows, migrate.Round(100*time.Millisecond), ms(srv.startup), index),
		"server stopped, `notreasso db migrate --to postgres://…` into an empty database (copies every table, compares row counts, `check --quick`), then `notreasso serve` on the same data directory with `NOTREASSO_DATABASE_URL` set")
	ratio := func(p, l time.Duration) string { return fmt.Sprintf("%.2f×", p.Seconds()/l.Seconds()) }
	pct := func(lat []time.Duration, p float64) time.Duration {
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	ratios := func(p, l []time.Duration) string {
		slices.Sort(p)
		slices.Sort(l)
		return fmt.Sprintf("%s / %s / %s", ratio(pct(p, .50), pct(l, .50)), ratio(pct(p, .95), pct(l, .95)), ratio(pct(p, .99), pct(l, .99)))
	}
	s.add("query mix p50 / p95 / p99, PostgreSQL ÷ SQLite", ratios(pgr.mix.lat, lite.mix.lat)+
		fmt.Sprintf("; CPU per query %s (the server's and PostgreSQL's, less swayed by other load than wall times)", ratio(pgr.mix.cpu+pgr.dbCPU, lite.mix.cpu)),
		fmt.Sprintf("the *search latency* mix above (%d queries as `%s`, 10 warm-up), run on SQLite then on PostgreSQL, on the same index, each after the server went idle", len(qs), readerLogin))
	s.add("query mix p50 / p95 / p99", fmt.Sprintf("SQLite %s (server CPU %s per query) · PostgreSQL %s (server CPU %s, PostgreSQL's CPU %s per query)",
		percentiles(lite.mix.lat), ms(lite.mix.cpu), percentiles(pgr.mix.lat), ms(pgr.mix.cpu), ms(pgr.dbCPU)),
		"server CPU: the `notreasso serve` process; PostgreSQL's: its postmaster and backends")
	s.add("misspelt mix p50 / p95 / p99 with the slip, PostgreSQL ÷ SQLite", ratios(pgr.typo.typoLat, lite.typo.typoLat)+
		fmt.Sprintf("; CPU per query, both spellings, %s", ratio((pgr.typo.typoCPU+pgr.typo.rightCPU)/2+pgr.dbCPUTypo, (lite.typo.typoCPU+lite.typo.rightCPU)/2)),
		fmt.Sprintf("the *misspelt mix* above (%d queries, each typed right then with the slip), on SQLite then on PostgreSQL", len(tqs)))
	s.add("misspelt mix p50 / p95 / p99 with the slip", fmt.Sprintf("SQLite %s (server CPU %s per query) · PostgreSQL %s (server CPU %s, PostgreSQL's CPU %s per query, both spellings)",
		percentiles(lite.typo.typoLat), ms(lite.typo.typoCPU), percentiles(pgr.typo.typoLat), ms(pgr.typo.typoCPU), ms(pgr.dbCPUTypo)), "")
	s.add("misspelt mix typed right, PostgreSQL ÷ SQLite", ratios(pgr.typo.rightLat, lite.typo.rightLat), "")
	same, total := sameHits(lite.mix.hits, pgr.mix.hits)
	same2, total2 := sameHits(lite.typo.hits, pgr.typo.hits)
	s.add("same answers", fmt.Sprintf("%d of %d queries list the same hits in the same order on both", same+same2, total+total2),
		"the first page's file names of every query of both mixes, SQLite against PostgreSQL")
	settle := func(r storeRun) string {
		if !r.idleOK {
			return "still busy after " + r.settled.Round(time.Second).String()
		}
		return r.settled.Round(time.Second).String()
	}
	s.add("waiting for the server to go idle", fmt.Sprintf("SQLite %s · PostgreSQL %s", settle(lite), settle(pgr)),
		"before each run: the server, and PostgreSQL with it, under 5% of a core for 3 s in a row, as above (at most 15 minutes)")
	s.note("PostgreSQL is a throwaway cluster on this machine with durability off (fsync, synchronous commit), on the same 2 cores as the server and the client. Ratios above 1 are slower on PostgreSQL.")
	return nil
}

var copiedRows = regexp.MustCompile(`(\d+) rows in \d+ tables copied`)

// dbMigrate runs `notreasso db migrate` on srv's stopped installation and
// returns how long it took and how many rows it copied.
func (b *bench) dbMigrate(ctx context.Context, srv *notreasso, to string) (time.Duration, string, error) {
	cmd := exec.CommandContext(ctx, b.bin, "db", "migrate", "--data", srv.Data, "--to", to)
	cmd.Env = append(os.Environ(), srv.env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	os.WriteFile(filepath.Join(b.dir, "docs-migrate.log"), out, 0o644)
	if err != nil {
		return 0, "", fmt.Errorf("notreasso db migrate: %v: %s", err, strings.TrimSpace(string(out)))
	}
	m := copiedRows.FindSubmatch(out)
	if m == nil {
		return 0, "", fmt.Errorf("notreasso db migrate said no row count: %s", out)
	}
	return took, string(m[1]), nil
}

// sameHits counts the queries whose hit lists a and b agree on.
func sameHits(a, b [][]string) (same, total int) {
	for i := range min(len(a), len(b)) {
		if slices.Equal(a[i], b[i]) {
			same++
		}
	}
	return same, max(len(a), len(b))
}
