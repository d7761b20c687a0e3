//go:build !linux

package extract

import (
	"os"
	"os/exec"
	"runtime/debug"
)

// configureWorker has no process groups to set up off Linux: only the
// worker itself is killed.
func configureWorker(cmd *exec.Cmd) {
	cmd.Cancel = func() error { return killWorker(cmd) }
}

func killWorker(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return cmd.Process.Kill()
}

// limitMemory can only set the Go memory limit, a soft one, off Linux.
func limitMemory(maxMemory int64) error {
	debug.SetMemoryLimit(maxMemory * 3 / 4)
	return nil
}

func maxRSSKiB(*os.ProcessState) int64 { return 0 }
