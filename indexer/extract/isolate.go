package extract

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// resultPrefix marks the worker's JSON Result, the last line it writes to
// stderr. Stdout carries nothing but text, and stderr stays free for the
// runtime's own crash messages, which RunIsolated reads when no Result
// line came.
const resultPrefix = "extract-result: "

// killGrace is how long after lim.Timeout the parent waits before killing
// the worker: the worker stops itself at lim.Timeout and reports a
// Result, the kill is for a worker that cannot.
const killGrace = 2 * time.Second

// RunIsolated runs the extraction of the file at path in a child process
// and streams its text to w. exe is a binary whose argv
// `exe args... --mime M --name N --max-text B ... PATH` calls WorkerMain
// (args is the prefix, e.g. []string{"extract"} for `notreasso extract`).
//
// The child runs in its own process group, with TMPDIR set to a fresh
// directory that is removed afterwards. It stops itself at lim.Timeout;
// the whole group is killed (SIGKILL) at lim.Timeout plus a grace period,
// or when ctx is cancelled. On Linux the child caps its address space
// (RLIMIT_AS) at its size at start plus lim.MaxMemory and sets the Go
// memory limit, so an allocation past the limit kills only the child.
//
// Like Extract, a document problem (including a hang, a crash or the
// memory limit) is a Result with StatusFailed and a nil error; the error is
// non-nil only if the worker could not be started, ctx was cancelled or
// writing to w failed.
func RunIsolated(ctx context.Context, exe string, args []string, path, mime, name string, w io.Writer, lim Limits) (Result, error) {
	lim = lim.withDefaults()
	failed := Result{Status: StatusFailed}
	tmp, err := os.MkdirTemp("", "extract-worker-*")
	if err != nil {
		return failed, fmt.Errorf("extract worker temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)

	hardCtx, cancel := context.WithTimeout(ctx, lim.Timeout+killGrace)
	defer cancel()
	argv := append(slices.Clone(args), workerFlags(mime, name, lim)...)
	argv = append(argv, "--", path)
	cmd := exec.CommandContext(hardCtx, exe, argv...)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	cmd.WaitDelay = time.Second
	configureWorker(cmd)
	stderr := &tailBuffer{max: 64 << 10}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return failed, fmt.Errorf("extract worker: %w", err)
	}
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return failed, fmt.Errorf("start extract worker %s: %w", exe, err)
	}
	// The worker honours the same text limit; the parent enforces it again
	// so a misbehaving worker cannot flood w.
	out := &limitWriter{w: w, remaining: lim.MaxTextBytes}
	_, copyErr := io.Copy(out, stdout)
	if copyErr != nil {
		_ = killWorker(cmd)
		_, _ = io.Copy(io.Discard, stdout)
	}
	waitErr := cmd.Wait()
	res, reported := workerResult(stderr)
	slog.Debug("extract worker finished", "name", name, "status", res.Status, "reason", res.Reason,
		"duration", time.Since(started), "max_rss_kib", maxRSSKiB(cmd.ProcessState), "exit", waitErr)

	var werr *outputError
	switch {
	case errors.As(copyErr, &werr):
		failed.Reason = werr.Error()
		return failed, werr
	case ctx.Err() != nil:
		failed.Reason = "cancelled"
		return failed, fmt.Errorf("extract worker: %w", ctx.Err())
	case hardCtx.Err() != nil:
		failed.Reason = fmt.Sprintf("timeout after %s: worker killed", lim.Timeout)
		return failed, nil
	case errors.Is(copyErr, errTruncated):
		res.Status, res.Truncated = StatusOK, true
		return res, nil
	case copyErr != nil:
		failed.Reason = fmt.Sprintf("read worker output: %v", copyErr)
		return failed, nil
	case reported:
		return res, nil
	}
	failed.Reason = workerFailure(waitErr, stderr, lim)
	return failed, nil
}

// workerFlags renders lim and the document's identity as WorkerMain flags.
func workerFlags(mime, name string, lim Limits) []string {
	flags := []string{
		"--mime", mime,
		"--name", name,
		"--max-text", strconv.FormatInt(lim.MaxTextBytes, 10),
		"--max-zip-entries", strconv.Itoa(lim.MaxZipEntries),
		"--max-zip-total", strconv.FormatInt(lim.MaxZipTotal, 10),
		"--max-zip-ratio", strconv.FormatFloat(lim.MaxZipRatio, 'g', -1, 64),
		"--timeout", lim.Timeout.String(),
		"--max-memory", strconv.FormatInt(lim.MaxMemory, 10),
		"--ocr-lang", lim.OCRLanguages,
	}
	if lim.NoExternalTools {
		flags = append(flags, "--no-external")
	}
	return flags
}

// workerResult finds the Result line the worker wrote last on stderr.
func workerResult(stderr *tailBuffer) (Result, bool) {
	lines := stderr.lines()
	for i := len(lines) - 1; i >= 0; i-- {
		if rest, ok := strings.CutPrefix(lines[i], resultPrefix); ok {
			var res Result
			if err := json.Unmarshal([]byte(rest), &res); err == nil && res.Status != "" {
				return res, true
			}
		}
	}
	return Result{Status: StatusFailed}, false
}

// workerFailure explains a worker that ended without a Result.
func workerFailure(waitErr error, stderr *tailBuffer, lim Limits) string {
	text := stderr.String()
	switch {
	case strings.Contains(text, "out of memory"):
		return fmt.Sprintf("memory limit exceeded (%d MiB): worker ran out of memory", lim.MaxMemory>>20)
	case waitErr == nil:
		return "worker exited without a result"
	}
	if last := stderr.lastLine(); last != "" {
		return fmt.Sprintf("worker crashed (%v): %s", waitErr, last)
	}
	return fmt.Sprintf("worker crashed: %v", waitErr)
}

// WorkerMain is the entry point of the extraction worker: it parses args
// (flags as written by RunIsolated, then the file path), extracts the file
// with Extract, writes the text to stdout and the Result as a final
// "extract-result: {json}" line to stderr, and returns the exit code: 0
// when a Result was reported (whatever its Status), 1 when the text could
// not be written, 2 on bad usage. Panics become a failed Result.
//
// WorkerMain limits the memory of the whole process (see RunIsolated): call
// it only as the entry point of a process started for one extraction.
func WorkerMain(args []string, stdout, stderr io.Writer) (code int) {
	fs := flag.NewFlagSet("extract", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		lim            Limits
		mimeType, name string
	)
	fs.StringVar(&mimeType, "mime", "", "MIME type of the document")
	fs.StringVar(&name, "name", "", "file name of the document (its extension is used when the MIME type is unknown)")
	fs.Int64Var(&lim.MaxTextBytes, "max-text", DefaultMaxTextBytes, "maximum bytes of text to write")
	fs.IntVar(&lim.MaxZipEntries, "max-zip-entries", DefaultMaxZipEntries, "maximum entries in an OOXML/ODF archive")
	fs.Int64Var(&lim.MaxZipTotal, "max-zip-total", DefaultMaxZipTotal, "maximum bytes decompressed from an archive")
	fs.Float64Var(&lim.MaxZipRatio, "max-zip-ratio", DefaultMaxZipRatio, "maximum compression ratio of an archive entry")
	fs.DurationVar(&lim.Timeout, "timeout", DefaultTimeout, "time limit")
	fs.Int64Var(&lim.MaxMemory, "max-memory", DefaultMaxMemory, "memory limit in bytes")
	fs.StringVar(&lim.OCRLanguages, "ocr-lang", DefaultOCRLanguages, "tesseract languages")
	fs.BoolVar(&lim.NoExternalTools, "no-external", false, "do not run pdftotext, pdftoppm or tesseract")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: extract [flags] FILE")
		return 2
	}
	res := Result{Status: StatusFailed}
	defer func() {
		if p := recover(); p != nil {
			res = Result{Status: StatusFailed, Reason: fmt.Sprintf("worker panic: %v", p)}
			code = 0
		}
		line, _ := json.Marshal(res)
		fmt.Fprintf(stderr, "\n%s%s\n", resultPrefix, line)
	}()
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		res.Reason = err.Error()
		return 0
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		res.Reason = err.Error()
		return 0
	}
	if err := limitMemory(lim.MaxMemory); err != nil {
		fmt.Fprintf(stderr, "extract worker: memory limit not applied: %v\n", err)
	}
	bw := bufio.NewWriterSize(stdout, 64<<10)
	res, err = Extract(context.Background(), f, st.Size(), mimeType, name, bw, lim)
	if flushErr := bw.Flush(); err == nil && flushErr != nil {
		err = flushErr
	}
	if err != nil {
		res.Status, res.Reason = StatusFailed, err.Error()
		return 1
	}
	return 0
}
