package extract

import "os/exec"

// IsolateChild gives another kind of worker (the preview renderer) the
// extraction worker's isolation: its own process group, killed whole on
// cancel, and killed if the parent dies.
func IsolateChild(cmd *exec.Cmd) { configureWorker(cmd) }

// KillChild kills a child set up by IsolateChild, with its process group.
func KillChild(cmd *exec.Cmd) error { return killWorker(cmd) }

// LimitChildMemory applies, in a worker process, the extraction worker's
// memory limit (see limitMemory); programs it starts inherit it.
func LimitChildMemory(maxMemory int64) error { return limitMemory(maxMemory) }
