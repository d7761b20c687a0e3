package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// davServer is one WebDAV server under comparison.
type davServer struct {
	name, base, user, pass string
	proc                   *proc
	// settle waits until the server's background work on new files is
	// done (Notre Asso indexes them); nil when there is none.
	settle func(ctx context.Context) error
}

type davResult struct {
	idle                  int64
	put, get, propfind    time.Duration
	putPeak, getPeak      int64
	propfindPeak, entries int64
	create                time.Duration
}

// dav compares Notre Asso's /dav/ with `rclone serve webdav` on the same
// machine, same client, same files.
func (b *bench) dav(ctx context.Context) *section {
	s := &section{ID: "dav", Title: fmt.Sprintf("WebDAV: Notre Asso /dav/ vs `rclone serve webdav` — %s PUT/GET, PROPFIND Depth 1 on %d files", mib(b.size), b.files)}
	rclone, err := exec.LookPath(b.rclone)
	if err != nil {
		s.Skipped = "rclone not found (scripts/bench.sh installs Debian's rclone with apt-get)"
		return s
	}
	srv, err := startNotreasso(ctx, b, "dav", filepath.Join(b.dir, "dav"))
	if err != nil {
		s.Skipped = "failed: " + err.Error()
		return s
	}
	defer func() { srv.stop() }() // the process running at the end, after restarts
	resp, err := request(ctx, "PROPFIND", srv.URL+"/dav/", "admin", adminPassword, nil, 0, map[string]string{"Depth": "0"}, 200, 207, 301, 400, 401, 403, 404, 405, 500, 501)
	if err != nil {
		s.Skipped = "failed: " + err.Error()
		return s
	}
	resp.Body.Close()
	if resp.StatusCode != 207 {
		s.Skipped = fmt.Sprintf("Notre Asso answered `PROPFIND /dav/` with %s, not 207 Multi-Status: WebDAV is not in this build yet", resp.Status)
		return s
	}
	addr, err := freeAddr()
	if err != nil {
		s.Skipped = "failed: " + err.Error()
		return s
	}
	root := filepath.Join(b.dir, "rclone-root")
	os.MkdirAll(root, 0o755)
	rp, err := startProc("rclone", filepath.Join(b.dir, "rclone.log"), nil, rclone,
		"serve", "webdav", root, "--addr", addr, "--user", "bench", "--pass", adminPassword)
	if err != nil {
		s.Skipped = "failed: " + err.Error()
		return s
	}
	defer rp.stop()
	if _, err := rp.waitHTTP(ctx, "http://"+addr+"/", 0, 30*time.Second); err != nil {
		s.Skipped = "failed: " + err.Error()
		return s
	}
	servers := []davServer{
		{"Notre Asso", srv.URL + "/dav", "admin", adminPassword, srv.proc, srv.indexed},
		{"rclone", "http://" + addr, "bench", adminPassword, rp, nil},
	}
	var res [2]davResult
	for i, d := range servers {
		if err := b.davRun(ctx, d, &res[i]); err != nil {
			s.Skipped = fmt.Sprintf("failed on %s: %v", d.name, err)
			return s
		}
	}
	n, r := res[0], res[1]
	ratio := func(a, b time.Duration) string { return fmt.Sprintf("%.2f×", a.Seconds()/b.Seconds()) }
	s.add("PUT "+mib(b.size), fmt.Sprintf("Notre Asso %s · rclone %s · time ratio %s", rate(b.size, n.put), rate(b.size, r.put), ratio(n.put, r.put)),
		"`curl -T big.bin -u … URL/bench/big.bin` (Go client, Content-Length)")
	s.add("GET "+mib(b.size), fmt.Sprintf("Notre Asso %s · rclone %s · time ratio %s", rate(b.size, n.get), rate(b.size, r.get), ratio(n.get, r.get)),
		"`curl -u … URL/bench/big.bin | sha256sum` (hash checked)")
	s.add(fmt.Sprintf("PROPFIND Depth 1, %d files", b.files), fmt.Sprintf("Notre Asso %s · rclone %s · time ratio %s", ms(n.propfind), ms(r.propfind), ratio(n.propfind, r.propfind)),
		"median of 5 `PROPFIND URL/many/` with `Depth: 1` and a prop list like file managers send; every entry counted; "+
			"Notre Asso's indexer first catches up with the new files (`notreasso_index_lag` 0 in `/metrics`), so its work is not counted")
	s.add("peak RSS during PUT", fmt.Sprintf("Notre Asso %s · rclone %s", davMemVerdict(n.putPeak), mib(r.putPeak)), "VmHWM of each server, reset before the request")
	s.add("peak RSS during GET", fmt.Sprintf("Notre Asso %s · rclone %s", davMemVerdict(n.getPeak), mib(r.getPeak)), "VmHWM, reset before the request")
	s.add("peak RSS during PROPFIND", fmt.Sprintf("Notre Asso %s · rclone %s", mib(n.propfindPeak), mib(r.propfindPeak)), "VmHWM over the 5 PROPFINDs")
	s.add("idle RSS", fmt.Sprintf("Notre Asso %s · rclone %s", mib(n.idle), mib(r.idle)), "VmRSS 2 s after start")
	s.add(fmt.Sprintf("creating the %d files", b.files), fmt.Sprintf("Notre Asso %s · rclone %s", n.create.Round(10*time.Millisecond), r.create.Round(10*time.Millisecond)),
		fmt.Sprintf("WebDAV PUT of 1 KiB files by %d parallel clients", b.workers))
	s.note("Ratios are Notre Asso's time ÷ rclone's: below 1 Notre Asso is faster. rclone serves a plain directory; Notre Asso also hashes, versions and records every file.")
	return s
}

// davMemoryTarget is the WebDAV issue's bound on the server's memory
// during a large transfer: 64 MB.
const davMemoryTarget = 64_000_000

func davMemVerdict(peak int64) string { return verdict(peak, davMemoryTarget, "64 MB") }

var responseEnd = regexp.MustCompile(`</([A-Za-z0-9]+:)?response>`)

const propfindBody = `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/>` +
	`<D:getcontentlength/><D:getlastmodified/><D:getetag/><D:getcontenttype/><D:displayname/><D:creationdate/></D:prop></D:propfind>`

func (b *bench) davRun(ctx context.Context, d davServer, res *davResult) error {
	time.Sleep(2 * time.Second)
	var err error
	if res.idle, _, err = d.proc.memory(); err != nil {
		return err
	}
	for _, dir := range []string{"/bench/", "/many/"} {
		resp, err := request(ctx, "MKCOL", d.base+dir, d.user, d.pass, nil, 0, nil, 201, 405)
		if err != nil {
			return err
		}
		resp.Body.Close()
	}
	path, sum, err := b.bigFile()
	if err != nil {
		return err
	}
	if res.putPeak, err = d.proc.measured(func() (err error) {
		res.put, err = putFile(ctx, d.base+"/bench/big.bin", d.user, d.pass, path, nil)
		return err
	}); err != nil {
		return err
	}
	var got string
	var n int64
	if res.getPeak, err = d.proc.measured(func() (err error) {
		got, n, res.get, err = getHash(ctx, d.base+"/bench/big.bin", d.user, d.pass)
		return err
	}); err != nil {
		return err
	}
	if got != sum || n != b.size {
		return fmt.Errorf("GET returned %d bytes with SHA-256 %s, want %d %s", n, got, b.size, sum)
	}
	start := time.Now()
	if err := b.parallel(ctx, b.files, func(i int) error {
		body := strings.NewReader(strings.Repeat(fmt.Sprintf("file %06d\n", i), 1024/12+1)[:1024])
		resp, err := request(ctx, "PUT", fmt.Sprintf("%s/many/f%06d.txt", d.base, i), d.user, d.pass, body, 1024, nil, 200, 201, 204)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}); err != nil {
		return err
	}
	res.create = time.Since(start)
	if d.settle != nil {
		if err := d.settle(ctx); err != nil {
			return err
		}
	}
	var times []time.Duration
	res.propfindPeak, err = d.proc.measured(func() error {
		for range 5 {
			t := time.Now()
			resp, err := request(ctx, "PROPFIND", d.base+"/many/", d.user, d.pass, strings.NewReader(propfindBody), int64(len(propfindBody)),
				map[string]string{"Depth": "1", "Content-Type": "application/xml"}, 207)
			if err != nil {
				return err
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return err
			}
			times = append(times, time.Since(t))
			res.entries = int64(len(responseEnd.FindAllIndex(body, -1)))
			if res.entries != int64(b.files)+1 {
				return fmt.Errorf("PROPFIND listed %d entries, want %d", res.entries, b.files+1)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.Sort(times)
	res.propfind = times[len(times)/2]
	return nil
}

// parallel runs f(0..n-1) on b.workers goroutines, stopping at the first error.
func (b *bench) parallel(ctx context.Context, n int, f func(i int) error) error {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range b.workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return firstErr
}
