package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// syncBench measures the Nextcloud door with Debian's nextcloudcmd: the
// first sync of 2 000 small files (side by side with `rclone copy` of the
// same files over /dav/), and a re-sync with nothing to do on b.files
// files — its time and the requests the server logged.
func (b *bench) syncBench(ctx context.Context) *section {
	const first = 2000
	s := &section{ID: "sync", Title: fmt.Sprintf("Sync apps: nextcloudcmd first sync of %d small files, no-change re-sync of up to %d files", first, max(b.files, 2*first))}
	ncBin, err := exec.LookPath("nextcloudcmd")
	if err != nil {
		s.Skipped = "nextcloudcmd not found (apt-get install nextcloud-desktop-cmd)"
		return s
	}
	rclone, rcErr := exec.LookPath(b.rclone)
	srv, err := startNotreasso(ctx, b, "sync", filepath.Join(b.dir, "sync"), "NOTREASSO_LOG_LEVEL=info")
	if err != nil {
		s.Skipped = "failed: " + err.Error()
		return s
	}
	defer srv.stop()
	home, local := filepath.Join(b.dir, "sync-home"), filepath.Join(b.dir, "sync-local")
	nc := func() (time.Duration, int, error) {
		mark := logSize(srv.logPath)
		start := time.Now()
		cmd := exec.CommandContext(ctx, ncBin, "--non-interactive", "-u", "admin", "-p", adminPassword, local, srv.URL+"/")
		cmd.Env = append(os.Environ(), "HOME="+home)
		out, err := cmd.CombinedOutput()
		took := time.Since(start)
		if err != nil {
			return 0, 0, fmt.Errorf("nextcloudcmd: %v: %s", err, lastLines(string(out), 5))
		}
		return took, countRequests(srv.logPath, mark), nil
	}
	// The first sync's files: 1–37 KB each, 100 to a folder.
	smalls := filepath.Join(b.dir, "sync-smalls")
	if err := writeSmallFiles(smalls, 0, first); err != nil {
		s.Skipped = "failed: " + err.Error()
		return s
	}
	if err := os.CopyFS(local, os.DirFS(smalls)); err != nil {
		s.Skipped = "failed: " + err.Error()
		return s
	}
	took, reqs, err := nc()
	if err != nil {
		s.Skipped = "failed: " + err.Error()
		return s
	}
	s.add(fmt.Sprintf("first sync, %d small files", first), fmt.Sprintf("%.2f s (%d requests)", took.Seconds(), reqs), "`nextcloudcmd --non-interactive` into an empty account")
	// rcopy copies a local folder into the server over /dav/.
	rcopy := func(src, dst string) (time.Duration, error) {
		start := time.Now()
		cmd := exec.CommandContext(ctx, rclone, "copy", src, ":webdav:"+dst, "--webdav-url", srv.URL+"/dav/",
			"--webdav-user", "admin", "--webdav-pass", obscure(ctx, rclone, adminPassword), "--webdav-vendor", "owncloud")
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("%v: %s", err, lastLines(string(out), 3))
		}
		return time.Since(start), nil
	}
	total := first
	if rcErr == nil {
		if took, err := rcopy(smalls, "/rclone-copy"); err != nil {
			s.notMeasured("rclone copy, same files, over /dav/", err.Error(), "`rclone copy`")
		} else {
			s.add("rclone copy, same files, over /dav/", fmt.Sprintf("%.2f s", took.Seconds()), "`rclone copy DIR :webdav:` (vendor owncloud, 4 transfers)")
			total += first // the next sync fetches them
		}
	}
	// More files for the re-sync, put on the server side by 8 parallel
	// clients (set-up, not measured); the app then downloads them.
	if extra := b.files - total; extra > 0 {
		start := time.Now()
		if err := b.fillSmall(ctx, srv, total, extra); err != nil {
			s.notMeasured("no-change re-sync", "filling the tree: "+err.Error(), "`nextcloudcmd`")
			return s
		}
		total += extra
		s.add(fmt.Sprintf("set-up: %d more files put over /dav/", extra), fmt.Sprintf("%.2f s", time.Since(start).Seconds()),
			fmt.Sprintf("WebDAV PUT of 1–4 KB files by %d parallel clients, 100 to a folder", b.workers))
	}
	// The app fetches what arrived, then lists the folders it created once
	// more; then it has nothing to do.
	for i := range 2 {
		took, reqs, err := nc()
		if err != nil {
			s.notMeasured("no-change re-sync", err.Error(), "`nextcloudcmd`")
			return s
		}
		if i == 0 {
			s.add(fmt.Sprintf("set-up: the app downloads the %d files it lacks", total-first), fmt.Sprintf("%.2f s (%d requests)", took.Seconds(), reqs), "`nextcloudcmd`, second run")
		}
	}
	took, reqs, err = nc()
	if err != nil {
		s.notMeasured("no-change re-sync", err.Error(), "`nextcloudcmd`")
		return s
	}
	s.add(fmt.Sprintf("no-change re-sync, %d files", total), fmt.Sprintf("%.2f s, %d requests", took.Seconds(), reqs), "`nextcloudcmd` run again with nothing changed; requests counted in the server's log")
	s.note("A re-sync asks the root's ETag, which moves with any change below (docs/sync.md): its cost does not grow with the tree; most of its time is the client starting and reading its own journal.")
	return s
}

// fillSmall puts n files of 1–4 KB numbered from `from` under /more/ on
// the server, 100 to a folder, with b.workers parallel clients.
func (b *bench) fillSmall(ctx context.Context, srv *notreasso, from, n int) error {
	for d := from / 100; d <= (from+n-1)/100; d++ {
		resp, err := request(ctx, "MKCOL", fmt.Sprintf("%s/dav/more-%03d/", srv.URL, d), "admin", adminPassword, nil, 0, nil, 201, 405)
		if err != nil {
			return err
		}
		resp.Body.Close()
	}
	return b.parallel(ctx, n, func(i int) error {
		i += from
		body := strings.Repeat(fmt.Sprintf("fichier %06d\n", i), 1+i%256)
		resp, err := request(ctx, "PUT", fmt.Sprintf("%s/dav/more-%03d/f%06d.txt", srv.URL, i/100, i), "admin", adminPassword,
			strings.NewReader(body), int64(len(body)), nil, 201, 204)
		if err == nil {
			resp.Body.Close()
		}
		return err
	})
}

// writeSmallFiles writes n files of 1–37 KB numbered from `from`, 100 to
// a folder.
func writeSmallFiles(dir string, from, n int) error {
	r := rand.New(rand.NewPCG(uint64(from), 7))
	buf := make([]byte, 37<<10)
	for i := from; i < from+n; i++ {
		p := filepath.Join(dir, fmt.Sprintf("dossier %03d", i/100), fmt.Sprintf("pièce n°%05d.txt", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		size := 1<<10 + r.IntN(36<<10)
		for j := range size {
			buf[j] = 'a' + byte(r.IntN(26))
		}
		if err := os.WriteFile(p, buf[:size], 0o644); err != nil {
			return err
		}
	}
	return nil
}

func logSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// countRequests counts the request log lines written after offset.
func countRequests(path string, offset int64) int {
	b, err := os.ReadFile(path)
	if err != nil || int64(len(b)) < offset {
		return -1
	}
	return strings.Count(string(b[offset:]), "msg=request ")
}

func obscure(ctx context.Context, rclone, pw string) string {
	out, err := exec.CommandContext(ctx, rclone, "obscure", pw).Output()
	if err != nil {
		return pw
	}
	return strings.TrimSpace(string(out))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " / ")
}

// notMeasured records a figure that could not be taken, and why.
func (s *section) notMeasured(metric, reason, how string) {
	s.Rows = append(s.Rows, row{metric, "not measured: " + reason, how})
}
