package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// proc is a server process started by the bench, with its output in a log
// file under the work directory.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	started time.Time
	done    chan struct{}
}

func startProc(name, logPath string, env []string, bin string, args ...string) (*proc, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	defer logf.Close() // the child keeps its own descriptor
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Ctrl-C reaches the bench, which stops it
	p := &proc{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { cmd.Wait(); close(p.done) }()
	return p, nil
}

// waitHTTP polls url until it answers status want, the process exits or
// timeout passes; it returns the time since the process started.
func (p *proc) waitHTTP(ctx context.Context, url string, want int, timeout time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want || want == 0 {
				return time.Since(p.started), nil
			}
		}
		select {
		case <-p.done:
			return 0, fmt.Errorf("%s exited while starting; see %s", p.name, p.logPath)
		case <-ctx.Done():
			return 0, fmt.Errorf("%s: %s did not answer %d within %v; see %s", p.name, url, want, timeout, p.logPath)
		case <-time.After(pollInterval(time.Since(p.started))):
		}
	}
}

// pollInterval is 5 ms for start-up times, then 100 ms: a server that
// re-indexes for minutes is not asked (and does not log) 200 times a second.
func pollInterval(since time.Duration) time.Duration {
	if since < 10*time.Second {
		return 5 * time.Millisecond
	}
	return 100 * time.Millisecond
}

// stop sends SIGTERM and waits; SIGKILL after 40 s.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(40 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// memory reads the current (VmRSS) and peak (VmHWM) resident memory.
func (p *proc) memory() (rss, peak int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, 0, fmt.Errorf("%s memory: %w", p.name, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		var kb int64
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			rss = kb << 10
		}
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			peak = kb << 10
		}
	}
	if rss == 0 || peak == 0 {
		return 0, 0, errors.New(p.name + " memory: no VmRSS/VmHWM in /proc status")
	}
	return rss, peak, nil
}

// resetPeak restarts the peak RSS measurement (Linux: clear_refs 5), so the
// peak read after an operation belongs to that operation.
func (p *proc) resetPeak() error {
	err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.cmd.Process.Pid), []byte("5"), 0)
	if err != nil {
		return fmt.Errorf("%s: reset peak RSS: %w", p.name, err)
	}
	return nil
}

// measured runs op between a reset of the peak RSS and its reading.
func (p *proc) measured(op func() error) (peak int64, err error) {
	if err := p.resetPeak(); err != nil {
		return 0, err
	}
	if err := op(); err != nil {
		return 0, err
	}
	_, peak, err = p.memory()
	return peak, err
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// clockTicks is Linux's USER_HZ, the unit of /proc/PID/stat's times.
const clockTicks = 100

// cpuTime is the CPU time (user and system) used so far by the process and
// every process of its group (Apache's workers are children): less swayed
// by the machine's other load than wall time.
func (p *proc) cpuTime() (time.Duration, error) {
	pgid := p.cmd.Process.Pid
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	var ticks int64
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		// state, ppid, pgrp, …, utime (14th field of the line), stime (15th).
		f, err := statFields("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		if len(f) < 13 || f[2] != fmt.Sprint(pgid) {
			continue
		}
		var u, s int64
		fmt.Sscan(f[11], &u)
		fmt.Sscan(f[12], &s)
		ticks += u + s
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}
