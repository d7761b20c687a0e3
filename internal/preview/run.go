package preview

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"notreasso/indexer/extract"
)

// killGrace: the child stops itself at the timeout and reports; the kill
// is for one that cannot (a hung LibreOffice, a decoder in a loop).
const killGrace = 2 * time.Second

// RunIsolated renders j in a child process: exe with args (e.g.
// []string{"preview"} for `notreasso preview`), its own process group and
// temporary directory, lim.Timeout then SIGKILL to the group, and its
// address space capped (inherited by LibreOffice and poppler). The
// rendering is written to out. Like extraction, a problem with the file
// (including a hang or the memory limit) is a Result with status none or
// failed and a nil error; the error is for a child that could not start
// or a cancelled ctx.
func RunIsolated(ctx context.Context, exe string, args []string, j Job, in, out string, lim Limits) (Result, error) {
	lim = lim.withDefaults()
	tmp, err := os.MkdirTemp("", "preview-worker-*")
	if err != nil {
		return Result{}, fmt.Errorf("preview worker temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	hardCtx, cancel := context.WithTimeout(ctx, lim.Timeout+killGrace)
	defer cancel()
	argv := append(slices.Clone(args), "--op", j.Op, "--mime", j.Mime, "--name", j.Name,
		"--size", strconv.Itoa(j.Size), "--page", strconv.Itoa(j.Page), "--timeout", lim.Timeout.String(),
		"--max-memory", strconv.FormatInt(lim.MaxMemory, 10), "--max-pixels", strconv.FormatInt(lim.MaxPixels, 10), "--", in, out)
	cmd := exec.CommandContext(hardCtx, exe, argv...)
	// HOME too: LibreOffice writes under it whatever its profile says.
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "HOME="+tmp)
	cmd.WaitDelay = time.Second
	extract.IsolateChild(cmd)
	stdout := &tail{max: 16 << 10}
	stderr := &tail{max: 16 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("start preview worker %s: %w", exe, err)
	}
	waitErr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return Result{}, fmt.Errorf("preview worker: %w", ctx.Err())
	case hardCtx.Err() != nil:
		return Result{Status: "failed", Reason: fmt.Sprintf("timeout after %s: worker killed", lim.Timeout)}, nil
	}
	lines := strings.Split(stdout.String(), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if rest, ok := strings.CutPrefix(lines[i], resultPrefix); ok {
			var res Result
			if json.Unmarshal([]byte(rest), &res) == nil && res.Status != "" {
				return res, nil
			}
		}
	}
	msg := strings.TrimSpace(stderr.String())
	if strings.Contains(msg, "out of memory") {
		return Result{Status: "failed", Reason: fmt.Sprintf("memory limit exceeded (%d MiB)", lim.MaxMemory>>20)}, nil
	}
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		msg = msg[i+1:]
	}
	return Result{Status: "failed", Reason: fmt.Sprintf("worker crashed (%v): %s", waitErr, msg)}, nil
}

// tail keeps the last max bytes written.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
