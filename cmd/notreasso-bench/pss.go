package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// processTree is pid and its descendants, pid first.
func processTree(pid int) []int {
	children := map[int][]int{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		f, err := statFields(st)
		if err != nil || len(f) < 2 {
			continue // the process ended
		}
		ppid, _ := strconv.Atoi(f[1])
		child, _ := strconv.Atoi(filepath.Base(filepath.Dir(st)))
		children[ppid] = append(children[ppid], child)
	}
	var tree []int
	todo := []int{pid}
	for len(todo) > 0 {
		p := todo[0]
		todo = append(todo[1:], children[p]...)
		tree = append(tree, p)
	}
	return tree
}

// statFields reads /proc/PID/stat from the field after the command name
// (state, ppid, pgrp, …): the name, in parentheses, may hold spaces.
func statFields(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:])), nil
}

// treePSS is the proportional set size of process pid and its children
// (PostgreSQL: the postmaster and its backends), from /proc/PID/smaps_rollup:
// pages shared between them, as PostgreSQL's shared buffers, count once.
func treePSS(pid int) (int64, error) {
	var total int64
	for _, p := range processTree(pid) {
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

// treeCPU is the CPU time (user and system) used so far by process pid,
// its live descendants, and the children it has reaped (PostgreSQL: the
// postmaster, its backends, and the backends whose connection closed).
func treeCPU(pid int) (time.Duration, error) {
	var ticks int64
	for _, p := range processTree(pid) {
		f, err := statFields(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil || len(f) < 15 {
			if p == pid {
				return 0, fmt.Errorf("CPU time of process %d: %v", pid, err)
			}
			continue
		}
		// utime, stime (fields 14, 15 of the line); for pid, also cutime
		// and cstime (16, 17): its reaped children.
		last := 12
		if p == pid {
			last = 14
		}
		for _, v := range f[11 : last+1] {
			n, _ := strconv.ParseInt(v, 10, 64)
			ticks += n
		}
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}
