package extract

import (
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"
)

// External tools are looked up once per process: PATH does not change
// under a running server, and LookPath costs a few stat calls.
var (
	pdftotextPath = sync.OnceValue(func() string { return lookTool("pdftotext") })
	pdftoppmPath  = sync.OnceValue(func() string { return lookTool("pdftoppm") })
	tesseractPath = sync.OnceValue(func() string { return lookTool("tesseract") })
	pdfinfoPath   = sync.OnceValue(func() string { return lookTool("pdfinfo") })
)

func lookTool(name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		return ""
	}
	return p
}

// ocrLanguagesPattern accepts tesseract language lists such as "fra+eng".
var ocrLanguagesPattern = regexp.MustCompile(`^[A-Za-z_]+(\+[A-Za-z_]+)*$`)

// runTool runs an external extractor whose stdout is UTF-8 text, streaming
// it into the sink. The process is killed when the context ends or the
// text limit is reached, so a slow tool never outlives its extraction.
func runTool(j *job, cmd *exec.Cmd) error {
	tool := cmd.Args[0]
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("%s: %w", tool, err)
	}
	stderr := &tailBuffer{max: 4 << 10}
	cmd.Stderr = stderr
	cmd.WaitDelay = time.Second // do not hang on pipes held by a stray grandchild
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", tool, err)
	}
	_, copyErr := io.Copy(j.out, stdout)
	if copyErr != nil {
		_ = cmd.Process.Kill()
		_, _ = io.Copy(io.Discard, stdout)
	}
	waitErr := cmd.Wait()
	switch {
	case copyErr != nil:
		return copyErr
	case j.ctx.Err() != nil:
		return j.ctx.Err()
	case waitErr != nil:
		if msg := stderr.lastLine(); msg != "" {
			return fmt.Errorf("%s: %w: %s", tool, waitErr, msg)
		}
		return fmt.Errorf("%s: %w", tool, waitErr)
	}
	return nil
}

// tailBuffer keeps the last max bytes written to it: enough of a child's
// stderr to explain a failure, without letting a chatty child fill memory.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// lastLine returns the last non-empty line written.
func (t *tailBuffer) lastLine() string {
	lines := strings.Split(strings.TrimSpace(t.String()), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// lines returns the complete lines written, oldest first.
func (t *tailBuffer) lines() []string {
	s := t.String()
	if i := strings.IndexByte(s, '\n'); i >= 0 && len(s) >= t.max {
		s = s[i+1:] // the first line may have been cut by the tail
	}
	return strings.Split(string(bytes.TrimRight([]byte(s), "\n")), "\n")
}
