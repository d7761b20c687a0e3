package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"notreasso/internal/pgserver"
)

// scale compares the metadata stores and the scale-out set-up on the same
// work: SQLite against PostgreSQL behind one server, then two servers on
// one PostgreSQL behind Caddy against one server. Every set-up stores its
// contents in versitygw, so only the metadata and the number of servers
// differ.
func (b *bench) scale(ctx context.Context) *section {
	s := &section{ID: "scale", Title: fmt.Sprintf("PostgreSQL and two servers: %d small files by WebDAV, PROPFIND Depth 1, search", b.files)}
	if err := b.scaleRun(ctx, s); err != nil {
		s.Skipped = "failed: " + err.Error()
	}
	return s
}

type scaleResult struct {
	create, propfind, search time.Duration
	// Memory: a server's RSS once ready, the largest peak of a server, of
	// versitygw and of Caddy over the run, and PostgreSQL's PSS (all its
	// processes, shared memory counted once) at the end.
	nodeIdle, nodePeak, s3Peak, caddyPeak, pgPSS int64
}

func (b *bench) scaleRun(ctx context.Context, s *section) error {
	if _, err := os.Stat(b.versitygw); err != nil {
		return fmt.Errorf("versitygw not found at %s (scripts/tools.sh installs it)", b.versitygw)
	}
	caddy, err := exec.LookPath("caddy")
	if err != nil {
		return fmt.Errorf("caddy not found (Debian package caddy)")
	}
	pg, err := pgserver.Start()
	if err != nil {
		return err
	}
	defer pg.Stop()
	// r is named: the deferred reads of memory fill it in on return.
	run := func(name string, nodes int, database string) (r scaleResult, err error) {
		endpoint, err := freeAddr()
		if err != nil {
			return r, err
		}
		root := filepath.Join(b.dir, name+"-s3")
		os.MkdirAll(root, 0o755)
		defer os.RemoveAll(root)
		gw, err := startProc("versitygw", filepath.Join(b.dir, name+"-versitygw.log"),
			[]string{"ROOT_ACCESS_KEY_ID=" + s3Access, "ROOT_SECRET_ACCESS_KEY=" + s3Secret},
			b.versitygw, "--port", endpoint, "--quiet", "posix", root)
		if err != nil {
			return r, err
		}
		defer gw.stop()
		if _, err := gw.waitHTTP(ctx, "http://"+endpoint+"/", 0, 30*time.Second); err != nil {
			return r, err
		}
		env := []string{"NOTREASSO_STORAGE_BACKEND=s3", "NOTREASSO_STORAGE_S3_ENDPOINT=" + endpoint, "NOTREASSO_STORAGE_S3_BUCKET=notreasso",
			"NOTREASSO_STORAGE_S3_ACCESS_KEY=" + s3Access, "NOTREASSO_STORAGE_S3_SECRET_KEY=" + s3Secret,
			"NOTREASSO_STORAGE_S3_TLS=false", "NOTREASSO_STORAGE_S3_PATH_STYLE=true",
			"NOTREASSO_STORAGE_S3_CREATE_BUCKET=true", "NOTREASSO_STORAGE_S3_REGION=us-east-1"}
		if database != "" {
			if err := pg.Exec("CREATE DATABASE " + database); err != nil {
				return r, err
			}
			env = append(env, "NOTREASSO_DATABASE_URL="+pg.URL(database))
		}
		var srvs []*notreasso
		defer func() {
			for _, n := range srvs {
				n.stop()
			}
		}()
		for i := range nodes {
			n, err := startNotreasso(ctx, b, fmt.Sprintf("%s-%d", name, i), filepath.Join(b.dir, fmt.Sprintf("%s-%d", name, i)), env...)
			if err != nil {
				return r, err
			}
			srvs = append(srvs, n)
		}
		for _, n := range srvs {
			rss, _, err := n.memory()
			if err != nil {
				return r, err
			}
			r.nodeIdle = max(r.nodeIdle, rss)
		}
		defer func() {
			for _, n := range srvs {
				if _, peak, err := n.memory(); err == nil {
					r.nodePeak = max(r.nodePeak, peak)
				}
			}
			if _, peak, err := gw.memory(); err == nil {
				r.s3Peak = peak
			}
			if database != "" {
				r.pgPSS, _ = treePSS(pg.PID())
			}
		}()
		base := srvs[0].URL
		if nodes > 1 {
			addr, err := freeAddr()
			if err != nil {
				return r, err
			}
			var ups []string
			for _, n := range srvs {
				ups = append(ups, strings.TrimPrefix(n.URL, "http://"))
			}
			conf := filepath.Join(b.dir, name+".Caddyfile")
			os.WriteFile(conf, []byte(fmt.Sprintf("{\n\tadmin off\n\tauto_https off\n}\nhttp://%s {\n\treverse_proxy %s {\n\t\tlb_policy round_robin\n\t\thealth_uri /readyz\n\t}\n}\n",
				addr, strings.Join(ups, " "))), 0o644)
			lb, err := startProc("caddy", filepath.Join(b.dir, name+"-caddy.log"), nil, caddy, "run", "--config", conf, "--adapter", "caddyfile")
			if err != nil {
				return r, err
			}
			defer lb.stop()
			defer func() {
				if _, peak, err := lb.memory(); err == nil {
					r.caddyPeak = peak
				}
			}()
			base = "http://" + addr
			if _, err := lb.waitHTTP(ctx, base+"/readyz", 200, 30*time.Second); err != nil {
				return r, err
			}
		}
		if resp, err := request(ctx, "MKCOL", base+"/dav/many/", "admin", adminPassword, nil, 0, nil, 201); err != nil {
			return r, err
		} else {
			resp.Body.Close()
		}
		start := time.Now()
		if err := b.parallel(ctx, b.files, func(i int) error {
			body := strings.NewReader(strings.Repeat(fmt.Sprintf("dossier %06d budget\n", i), 1024/21+1)[:1024])
			resp, err := request(ctx, "PUT", fmt.Sprintf("%s/dav/many/f%06d.txt", base, i), "admin", adminPassword, body, 1024, nil, 201, 204)
			if err == nil {
				resp.Body.Close()
			}
			return err
		}); err != nil {
			return r, err
		}
		r.create = time.Since(start)
		for _, n := range srvs {
			if err := n.indexed(ctx); err != nil {
				return r, err
			}
		}
		median := func(f func() error) (time.Duration, error) {
			var times []time.Duration
			for range 5 {
				t := time.Now()
				if err := f(); err != nil {
					return 0, err
				}
				times = append(times, time.Since(t))
			}
			slices.Sort(times)
			return times[2], nil
		}
		if r.propfind, err = median(func() error {
			resp, err := request(ctx, "PROPFIND", base+"/dav/many/", "admin", adminPassword, strings.NewReader(propfindBody), int64(len(propfindBody)),
				map[string]string{"Depth": "1", "Content-Type": "application/xml"}, 207)
			if err == nil {
				_, err = drain(resp)
			}
			return err
		}); err != nil {
			return r, err
		}
		r.search, err = median(func() error {
			resp, err := request(ctx, "GET", base+"/api/v1/search?q=budget", "admin", adminPassword, nil, 0, nil, 200)
			if err == nil {
				_, err = drain(resp)
			}
			return err
		})
		return r, err
	}
	lite, err := run("scale-sqlite", 1, "")
	if err != nil {
		return fmt.Errorf("SQLite: %w", err)
	}
	one, err := run("scale-pg", 1, "bench_one")
	if err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}
	two, err := run("scale-pg2", 2, "bench_two")
	if err != nil {
		return fmt.Errorf("two servers: %w", err)
	}
	ratio := func(a, b time.Duration) string { return fmt.Sprintf("%.2f×", a.Seconds()/b.Seconds()) }
	per := func(d time.Duration) string { return fmt.Sprintf("%.0f files/s", float64(b.files)/d.Seconds()) }
	s.add(fmt.Sprintf("creating %d files of 1 KiB", b.files),
		fmt.Sprintf("SQLite %s · PostgreSQL %s (time ratio %s) · two servers %s (time ratio to one %s)", per(lite.create), per(one.create), ratio(one.create, lite.create), per(two.create), ratio(two.create, one.create)),
		fmt.Sprintf("WebDAV PUT by %d parallel clients; contents in versitygw", b.workers))
	s.add(fmt.Sprintf("PROPFIND Depth 1, %d files", b.files),
		fmt.Sprintf("SQLite %s · PostgreSQL %s (%s) · two servers %s (%s)", ms(lite.propfind), ms(one.propfind), ratio(one.propfind, lite.propfind), ms(two.propfind), ratio(two.propfind, one.propfind)),
		"median of 5, after every server's index caught up")
	s.add("search, one word in every file",
		fmt.Sprintf("SQLite %s · PostgreSQL %s (%s) · two servers %s (%s)", ms(lite.search), ms(one.search), ratio(one.search, lite.search), ms(two.search), ratio(two.search, one.search)),
		"median of 5 `GET /api/v1/search?q=budget` as admin (20 hits, facets)")
	s.add("memory: a server idle, then its peak",
		fmt.Sprintf("SQLite %s → %s · PostgreSQL %s → %s · two servers, each %s → %s", mib(lite.nodeIdle), mib(lite.nodePeak),
			mib(one.nodeIdle), mib(one.nodePeak), mib(two.nodeIdle), mib(two.nodePeak)),
		"VmRSS once /readyz answers, VmHWM at the end of the run (the larger of the two servers)")
	s.add("memory: the other parts",
		fmt.Sprintf("PostgreSQL %s · versitygw %s · Caddy %s", mib(two.pgPSS), mib(two.s3Peak), mib(two.caddyPeak)),
		"two-server run; PostgreSQL: PSS of all its processes at the end (default settings but durability off); versitygw, Caddy: VmHWM")
	s.note("PostgreSQL is a throwaway cluster on this machine with durability off (fsync, synchronous commit): it measures the SQL path, not a disk. Two servers run on the same 2 cores as one, behind Caddy (round robin): the ratio shows the cost of the load balancer and the shared database, not the gain of a second machine. Ratios below 1 are faster.")
	return nil
}

// drain reads and closes a response body.
func drain(resp *http.Response) (int64, error) {
	defer resp.Body.Close()
	return io.Copy(io.Discard, resp.Body)
}
