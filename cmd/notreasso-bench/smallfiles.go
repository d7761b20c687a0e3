package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// smallTarget is issue 17's goal: the small-files workload in at most 1.5×
// Apache mod_dav's time.
const smallTarget = 1.5

// smallFile is one file of the small-files workload.
type smallFile struct {
	name string
	body []byte
}

// smallSet is the workload's 300 files of 1–37 KB (about 5.6 MB): a third
// French or English prose (.txt, which Notre Asso extracts and indexes),
// the rest random bytes (photos, PDFs: nothing to extract). Each round
// gets its own content, so no server finds a file it already holds.
func smallSet(round int) []smallFile {
	g := proseGen()
	r := rand.New(rand.NewPCG(uint64(round), 17))
	files := make([]smallFile, 300)
	for i := range files {
		size := 1000 + r.IntN(36_000)
		if i%3 == 0 {
			text := g.Text(r, g.Lang(r), size)
			files[i] = smallFile{fmt.Sprintf("note %03d.txt", i), []byte(text)}
			continue
		}
		body := make([]byte, size)
		for j := range body {
			body[j] = byte(r.Uint32())
		}
		files[i] = smallFile{fmt.Sprintf("pièce %03d.dat", i), body}
	}
	return files
}

// smallRun is one server's time for one round.
type smallRun struct {
	put, propfind, del, total time.Duration
	cpu                       time.Duration // the server's CPU time, background work included
	conns                     int
}

// smallWorkload runs the workload on one kept-alive connection: MKCOL a
// folder (not timed), PUT every file, PROPFIND Depth 1 of the folder
// (every entry and byte checked), DELETE every file.
func smallWorkload(ctx context.Context, base, user, pass, folder string, files []smallFile) (smallRun, error) {
	var run smallRun
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1, DisableCompression: true}}
	defer client.CloseIdleConnections()
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{ConnectStart: func(string, string) { run.conns++ }})
	do := func(method, u string, body []byte, hdr map[string]string, ok ...int) ([]byte, error) {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, rd)
		if err != nil {
			return nil, err
		}
		req.SetBasicAuth(user, pass)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, u, err)
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, u, err)
		}
		if !slices.Contains(ok, resp.StatusCode) {
			return nil, fmt.Errorf("%s %s: %s %s", method, u, resp.Status, lastLines(string(out), 2))
		}
		return out, nil
	}
	dir := base + "/" + pathEscape(folder) + "/"
	if _, err := do("MKCOL", dir, nil, nil, 201); err != nil {
		return run, err
	}
	start := time.Now()
	var want int64
	for _, f := range files {
		if _, err := do("PUT", dir+pathEscape(f.name), f.body, nil, 201, 204); err != nil {
			return run, err
		}
		want += int64(len(f.body))
	}
	run.put = time.Since(start)
	t := time.Now()
	out, err := do("PROPFIND", dir, []byte(propfindBody), map[string]string{"Depth": "1", "Content-Type": "application/xml"}, 207)
	if err != nil {
		return run, err
	}
	run.propfind = time.Since(t)
	entries, bytes := countListing(out)
	if entries != len(files)+1 || bytes != want {
		return run, fmt.Errorf("PROPFIND %s listed %d entries and %d bytes, want %d and %d", dir, entries, bytes, len(files)+1, want)
	}
	t = time.Now()
	for _, f := range files {
		if _, err := do("DELETE", dir+pathEscape(f.name), nil, nil, 204, 200); err != nil {
			return run, err
		}
	}
	run.del = time.Since(t)
	run.total = time.Since(start)
	return run, nil
}

var contentLength = regexp.MustCompile(`getcontentlength>(\d+)<`)

// countListing counts a multistatus body's responses and adds up the
// getcontentlength of its entries.
func countListing(body []byte) (int, int64) {
	var sum int64
	for _, m := range contentLength.FindAllSubmatch(body, -1) {
		n, _ := strconv.ParseInt(string(m[1]), 10, 64)
		sum += n
	}
	return len(responseEnd.FindAllIndex(body, -1)), sum
}

func pathEscape(name string) string { return url.PathEscape(name) }

// smallFiles compares the small-files workload on Notre Asso's /dav/,
// Apache mod_dav and `rclone serve webdav`, rounds interleaved.
func (b *bench) smallFiles(ctx context.Context) *section {
	rounds := map[bool]int{false: 7, true: 3}[b.quick]
	s := &section{ID: "small", Title: "Small files: 300 files of 1–37 KB, one kept-alive client — Notre Asso /dav/ vs Apache mod_dav vs `rclone serve webdav`"}
	type server struct {
		name, base, user, pass string
		settle                 func(context.Context) error
		proc                   *proc
		runs                   []smallRun
	}
	srv, err := startNotreasso(ctx, b, "small", filepath.Join(b.dir, "small"))
	if err != nil {
		s.Skipped = "failed: " + err.Error()
		return s
	}
	defer srv.stop()
	servers := []*server{{name: "Notre Asso", base: srv.URL + "/dav", user: "admin", pass: adminPassword, settle: srv.indexed, proc: srv.proc}}
	ap, apURL, err := startApache(ctx, filepath.Join(b.dir, "apache"), "bench", adminPassword)
	if err != nil {
		s.Skipped = "failed: Apache mod_dav: " + err.Error()
		return s
	}
	defer ap.stop()
	servers = append(servers, &server{name: "Apache", base: apURL, user: "bench", pass: adminPassword, proc: ap})
	// The stricter setting, for the price of a flush per upload.
	strict, err := startNotreasso(ctx, b, "small-power", filepath.Join(b.dir, "small-power"), "NOTREASSO_DURABILITY=power")
	if err != nil {
		s.Skipped = "failed: " + err.Error()
		return s
	}
	defer strict.stop()
	servers = append(servers, &server{name: "Notre Asso (durability power)", base: strict.URL + "/dav", user: "admin", pass: adminPassword, settle: strict.indexed, proc: strict.proc})
	if rclone, err := exec.LookPath(b.rclone); err == nil {
		addr, err := freeAddr()
		if err != nil {
			s.Skipped = "failed: " + err.Error()
			return s
		}
		root := filepath.Join(b.dir, "small-rclone")
		os.MkdirAll(root, 0o755)
		rp, err := startProc("rclone", filepath.Join(b.dir, "small-rclone.log"), nil, rclone,
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
		servers = append(servers, &server{name: "rclone", base: "http://" + addr, user: "bench", pass: adminPassword, proc: rp})
	}
	// Notre Asso and Apache again on a file system held in memory: the
	// disk's part taken out (creating a file costs each server differently
	// there: Apache creates one per upload on the path the client waits on,
	// Notre Asso makes its spool files ahead).
	var memN, memA *server
	if shm := memDir(); shm != "" {
		root, err := os.MkdirTemp(shm, "notreasso-bench-")
		if err != nil {
			s.Skipped = "failed: " + err.Error()
			return s
		}
		defer os.RemoveAll(root)
		os.Chmod(root, 0o755) // Apache's workers read below it, as in the work directory
		mn, err := startNotreasso(ctx, b, "small-tmpfs", filepath.Join(root, "small"))
		if err != nil {
			s.Skipped = "failed: " + err.Error()
			return s
		}
		defer mn.stop()
		ma, maURL, err := startApache(ctx, filepath.Join(root, "apache"), "bench", adminPassword)
		if err != nil {
			s.Skipped = "failed: Apache mod_dav on tmpfs: " + err.Error()
			return s
		}
		defer ma.stop()
		memN = &server{name: "Notre Asso (tmpfs)", base: mn.URL + "/dav", user: "admin", pass: adminPassword, settle: mn.indexed, proc: mn.proc}
		memA = &server{name: "Apache (tmpfs)", base: maURL, user: "bench", pass: adminPassword, proc: ma}
		servers = append(servers, memN, memA)
	}
	var size int64
	for round := range rounds + 1 { // round 0 warms every server up, not counted
		files := smallSet(round)
		size = 0
		for _, f := range files {
			size += int64(len(f.body))
		}
		// Each round starts with another server, so none always runs
		// right after a busy neighbour.
		for k := range servers {
			sv := servers[(round+k)%len(servers)]
			if sv.settle != nil {
				if err := sv.settle(ctx); err != nil {
					s.Skipped = "failed: " + err.Error()
					return s
				}
			}
			exec.Command("sync").Run()
			cpu0, err := sv.proc.cpuTime()
			if err != nil {
				s.Skipped = "failed: " + err.Error()
				return s
			}
			run, err := smallWorkload(ctx, sv.base, sv.user, sv.pass, fmt.Sprintf("petits %d", round), files)
			if err != nil {
				s.Skipped = fmt.Sprintf("failed on %s: %v", sv.name, err)
				return s
			}
			// The CPU the round cost, including what it left to do in the
			// background (Notre Asso indexes the text files).
			if sv.settle != nil {
				if err := sv.settle(ctx); err != nil {
					s.Skipped = "failed: " + err.Error()
					return s
				}
			}
			cpu1, err := sv.proc.cpuTime()
			if err != nil {
				s.Skipped = "failed: " + err.Error()
				return s
			}
			run.cpu = cpu1 - cpu0
			if run.conns != 1 {
				s.Skipped = fmt.Sprintf("failed on %s: the client opened %d connections, want 1 kept alive", sv.name, run.conns)
				return s
			}
			if round > 0 {
				sv.runs = append(sv.runs, run)
			}
		}
	}
	med := func(sv *server, f func(smallRun) time.Duration) time.Duration {
		ds := make([]time.Duration, len(sv.runs))
		for i, r := range sv.runs {
			ds[i] = f(r)
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	total := func(r smallRun) time.Duration { return r.total }
	n, a := servers[0], servers[1]
	ratio := med(n, total).Seconds() / med(a, total).Seconds()
	worst, where := ratio, "the disk"
	memRatio := 0.0
	if memN != nil {
		memRatio = med(memN, total).Seconds() / med(memA, total).Seconds()
		where = "the disk and tmpfs"
		worst = max(worst, memRatio)
	}
	verdict := "met"
	if worst > smallTarget {
		verdict = "not met"
	}
	var line []string
	for _, sv := range servers {
		line = append(line, fmt.Sprintf("%s %s", sv.name, ms(med(sv, total))))
	}
	s.add("PUT all, PROPFIND, DELETE all (median)", strings.Join(line, " · "),
		fmt.Sprintf("300 files, %.1f MB, one client on one kept-alive connection (checked); median of %d rounds, servers interleaved, a new folder and new content each round; %s in the server's data directory",
			float64(size)/1e6, rounds, "`sync` before each run"))
	if memN != nil {
		s.add("Notre Asso ÷ Apache", fmt.Sprintf("%.2f× on the disk, %.2f× on tmpfs (target ≤ %.1f× on %s: %s)", ratio, memRatio, smallTarget, where, verdict),
			"ratios of the medians above, each pair on one file system")
	} else {
		s.add("Notre Asso ÷ Apache", fmt.Sprintf("%.2f× (target ≤ %.1f× on %s: %s)", ratio, smallTarget, where, verdict), "ratio of the medians above")
	}
	s.add("Notre Asso with durability power ÷ Apache", fmt.Sprintf("%.2f×", med(servers[2], total).Seconds()/med(a, total).Seconds()),
		"every upload's content, folder and database commit flushed to the disk before the answer (docs/operations.md)")
	for _, sv := range servers {
		if sv.name == "rclone" {
			s.add("Notre Asso ÷ rclone", fmt.Sprintf("%.2f×", med(n, total).Seconds()/med(sv, total).Seconds()), "ratio of the medians above")
		}
	}
	line = line[:0]
	for _, sv := range servers {
		line = append(line, fmt.Sprintf("%s %s", sv.name, ms(med(sv, func(r smallRun) time.Duration { return r.cpu }))))
	}
	cpuN, cpuA := med(n, func(r smallRun) time.Duration { return r.cpu }), med(a, func(r smallRun) time.Duration { return r.cpu })
	s.add("server CPU time per round (median)", strings.Join(line, " · "),
		fmt.Sprintf("user + system time of the server's processes (all of Apache's), from before the round until its background work is done; less swayed by other load than wall time; Notre Asso ÷ Apache %.1f×", cpuN.Seconds()/cpuA.Seconds()))
	for _, ph := range []struct {
		name string
		f    func(smallRun) time.Duration
	}{
		{"PUT, per file (median round)", func(r smallRun) time.Duration { return r.put / 300 }},
		{"PROPFIND Depth 1 of the 300", func(r smallRun) time.Duration { return r.propfind }},
		{"DELETE, per file (median round)", func(r smallRun) time.Duration { return r.del / 300 }},
	} {
		line = line[:0]
		for _, sv := range servers {
			line = append(line, fmt.Sprintf("%s %s", sv.name, ms(med(sv, ph.f))))
		}
		s.add(ph.name, strings.Join(line, " · "), "the phases of the same runs")
	}
	var rounds1 []string
	for _, sv := range servers {
		var ts []string
		for _, r := range sv.runs {
			ts = append(ts, fmt.Sprintf("%.2f", r.total.Seconds()))
		}
		rounds1 = append(rounds1, sv.name+" "+strings.Join(ts, ", "))
	}
	s.note("Every round, in seconds: %s.", strings.Join(rounds1, "; "))
	s.note("Apache: Debian's %s, mpm_event, mod_dav_fs on the same disk (and, as « (tmpfs) », both again on a file system in memory, `/dev/shm`, when there is one), Basic auth from a file, started by the bench on loopback with its own configuration. Notre Asso keeps every file as a version, deletes into the trash and indexes the text files in the background (it catches up before each of its rounds); its default durability is described in docs/operations.md.", apacheVersion())
	return s
}
