package extract

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
)

// configureWorker puts the worker in its own process group, so that
// killing the group also kills pdftotext or tesseract started by it, and
// asks the kernel to kill it if the parent dies first.
func configureWorker(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return killWorker(cmd) }
}

// killWorker kills the worker's whole process group.
func killWorker(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

// limitMemory runs in the worker. The Go memory limit makes the collector
// work harder as the heap nears the budget; RLIMIT_AS makes the limit
// hard: a Go runtime that has already reserved its address space at start
// (about 1.2 GB of virtual memory, little of it resident) gets
// maxMemory more, and any mmap past that fails, which the runtime turns
// into a fatal "out of memory". The limit is inherited by pdftotext and
// tesseract. RLIMIT_AS counts address space rather than resident memory,
// which is what a hostile file inflates first (huge zeroed allocations).
func limitMemory(maxMemory int64) error {
	debug.SetMemoryLimit(maxMemory * 3 / 4)
	vmSize, err := addressSpaceSize()
	if err != nil {
		return err
	}
	limit := uint64(vmSize + maxMemory)
	return syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: limit, Max: limit})
}

// addressSpaceSize reads the process's current virtual size (VmSize).
func addressSpaceSize() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("read VmSize: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmSize:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse VmSize %q: %w", rest, err)
			}
			return kib << 10, nil
		}
	}
	return 0, fmt.Errorf("VmSize not found in /proc/self/status")
}

// maxRSSKiB returns the worker's peak resident memory.
func maxRSSKiB(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss // KiB on Linux
	}
	return 0
}
