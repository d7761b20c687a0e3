package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// treePSS is the proportional set size of process pid and its children
// (PostgreSQL: the postmaster and its backends), from /proc/PID/smaps_rollup:
// pages shared between them, as PostgreSQL's shared buffers, count once.
func treePSS(pid int) (int64, error) {
	children := map[int][]int{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil {
			continue // the process ended
		}
		// pid (comm) state ppid …: comm may hold spaces, skip past its ")".
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		child, _ := strconv.Atoi(filepath.Base(filepath.Dir(st)))
		children[ppid] = append(children[ppid], child)
	}
	var total int64
	todo := []int{pid}
	for len(todo) > 0 {
		p := todo[0]
		todo = append(todo[1:], children[p]...)
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", p))
		if err != nil {
			if p == pid {
				return 0, fmt.Errorf("memory of process %d: %w", pid, err)
			}
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Pss:"); ok {
				var kb int64
				fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
				total += kb << 10
			}
		}
	}
	return total, nil
}
