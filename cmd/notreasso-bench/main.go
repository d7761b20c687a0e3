// Command notreasso-bench measures a notreasso binary on this machine and
// writes the figures, each with what produced it, into docs/benchmarks.md
// between markers. Run it through scripts/bench.sh (make bench), which
// builds the binary and installs what it compares against.
//
// Sections are independent: one that cannot run (WebDAV or search not in
// this build yet, rclone missing) prints "not measured: <reason>" and the
// others still run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

type bench struct {
	bin, versitygw, rclone string
	dir                    string // work directory on the data disk, removed at the end
	quick                  bool
	size                   int64 // big file size
	files                  int   // files in the PROPFIND folder
	docs                   int   // documents for search and start time
	queries                int
	textBytes              int64 // text uploaded by the docs section
	workers                int
	keep                   bool

	bigPath, bigSum string // the big file, generated once
}

type sectionFunc struct {
	id  string
	run func(ctx context.Context, b *bench) []*section
}

var sections = []sectionFunc{
	{"api-fs", func(ctx context.Context, b *bench) []*section { return []*section{b.apiFS(ctx)} }},
	{"api-s3", func(ctx context.Context, b *bench) []*section { return []*section{b.apiS3(ctx)} }},
	{"dav", func(ctx context.Context, b *bench) []*section { return []*section{b.dav(ctx)} }},
	{"small", func(ctx context.Context, b *bench) []*section { return []*section{b.smallFiles(ctx)} }},
	{"docs", func(ctx context.Context, b *bench) []*section { return b.docsSections(ctx) }},
	{"sync", func(ctx context.Context, b *bench) []*section { return []*section{b.syncBench(ctx)} }},
	{"scale", func(ctx context.Context, b *bench) []*section { return []*section{b.scale(ctx)} }},
	{"intake", func(ctx context.Context, b *bench) []*section { return []*section{b.intakeBench(ctx)} }},
	{"previews", func(ctx context.Context, b *bench) []*section { return []*section{b.previewsBench(ctx)} }},
}

func main() {
	b := &bench{}
	var out, only string
	flag.StringVar(&b.bin, "bin", "bin/notreasso", "notreasso binary to measure")
	flag.StringVar(&b.versitygw, "versitygw", ".tools/bin/versitygw", "versitygw binary (S3 server)")
	flag.StringVar(&b.rclone, "rclone", "rclone", "rclone binary (WebDAV reference)")
	flag.StringVar(&b.dir, "dir", ".bench", "work directory (on the data disk; removed at the end)")
	flag.StringVar(&out, "out", "docs/benchmarks.md", "report to update between its markers")
	flag.StringVar(&only, "only", "", "comma-separated sections to run: api-fs, api-s3, dav, small, docs, sync, scale, intake, previews (default all)")
	flag.BoolVar(&b.quick, "quick", false, "small sizes: 256 MiB, 2 000 files, 10 000 documents (under 5 minutes)")
	flag.Int64Var(&b.size, "size", 0, "big file size in MiB (default 1024, quick 256)")
	flag.IntVar(&b.files, "files", 0, "files in the PROPFIND folder (default 10000, quick 2000)")
	flag.IntVar(&b.docs, "docs", 0, "documents for search and start time (default 100000, quick 10000)")
	flag.IntVar(&b.workers, "workers", 8, "parallel clients when creating many files")
	flag.BoolVar(&b.keep, "keep", false, "keep the work directory (to inspect it, or to try maintenance commands on a large data set)")
	flag.Parse()
	b.defaults()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := b.run(ctx, out, only); err != nil {
		fmt.Fprintln(os.Stderr, "notreasso-bench:", err)
		os.Exit(1)
	}
}

func (b *bench) defaults() {
	def := func(v *int, full, quick int) {
		if *v == 0 {
			*v = map[bool]int{false: full, true: quick}[b.quick]
		}
	}
	if b.size == 0 {
		b.size = map[bool]int64{false: 1024, true: 256}[b.quick]
	}
	b.size <<= 20
	def(&b.files, 10000, 2000)
	def(&b.docs, 100000, 10000)
	def(&b.queries, 300, 150)
}

func (b *bench) run(ctx context.Context, out, only string) error {
	start := time.Now()
	mode := map[bool]string{false: "full", true: "quick"}[b.quick]
	cmd := "make bench"
	if b.quick {
		cmd = "make bench BENCH_ARGS=--quick"
	}
	if only != "" {
		cmd += " (sections: " + only + ")"
	}
	r := &report{Mode: mode, Marker: mode, Command: cmd, Started: start}
	if only != "" {
		// A run of some sections has its own block: it does not wipe the
		// figures of the last run of every section.
		r.Marker = mode + " " + strings.Join(strings.Fields(strings.ReplaceAll(only, ",", " ")), " ")
	}
	var err error
	if b.dir, err = filepath.Abs(b.dir); err != nil {
		return err
	}
	if err := prepareWorkDir(b.dir); err != nil {
		return err
	}
	if !b.keep {
		defer os.RemoveAll(b.dir)
	}
	r.Env = b.environment()
	want := map[string]bool{}
	for _, id := range strings.Split(only, ",") {
		if id = strings.TrimSpace(id); id != "" {
			want[id] = true
		}
	}
	failed := 0
	for _, sf := range sections {
		if len(want) > 0 && !want[sf.id] {
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: %s…\n", sf.id)
		t := time.Now()
		for _, s := range sf.run(ctx, b) {
			if s.Took == 0 {
				s.Took = time.Since(t)
			}
			if strings.HasPrefix(s.Skipped, "failed") {
				failed++
			}
			fmt.Fprintf(os.Stderr, "%s\n", (&report{Sections: []*section{s}}).sectionsOnly())
			r.Sections = append(r.Sections, s)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	r.Took = time.Since(start)
	r.Env = append(r.Env, row{Metric: "load average at the end", Value: loadAverage()})
	budget := map[bool]time.Duration{false: 30 * time.Minute, true: 5 * time.Minute}[b.quick]
	if r.Took > budget && only == "" {
		r.Env = append(r.Env, row{Metric: "over budget", Value: fmt.Sprintf("took %s, the target is under %s", r.Took.Round(time.Second), budget)})
	}
	if err := r.writeInto(out); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: wrote %s in %s\n", out, r.Took.Round(time.Second))
	if failed > 0 {
		b.showLogs()
		return fmt.Errorf("%d section(s) failed; see %s", failed, out)
	}
	return nil
}

func (r *report) sectionsOnly() string {
	md := r.markdown()
	if i := strings.Index(md, "\n#### "); i >= 0 {
		return md[i+1:]
	}
	return md
}

// environment describes the machine and the versions measured.
func (b *bench) environment() []row {
	first := func(name string, args ...string) string {
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			return "unavailable (" + err.Error() + ")"
		}
		line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		return line
	}
	cpu := "unknown"
	if info, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(info), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	mem := "unknown"
	if info, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(strings.SplitN(string(info), "\n", 2)[0], "MemTotal:")), "%d", &kb)
		mem = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	return []row{
		{Metric: "CPU", Value: fmt.Sprintf("%s, %d cores (shared with the clients: everything runs on this machine)", cpu, runtime.NumCPU())},
		{Metric: "memory", Value: mem},
		{Metric: "kernel", Value: first("uname", "-sr")},
		{Metric: "work directory", Value: "`" + b.dir + "` on " + first("sh", "-c", "df -hT "+b.dir+" | tail -1 | awk '{print $1\" (\"$2\")\"}'")},
		{Metric: "notreasso", Value: first(b.bin, "version") + " (commit " + first("git", "describe", "--always", "--dirty") + ")"},
		{Metric: "Go", Value: runtime.Version()},
		{Metric: "rclone", Value: first(b.rclone, "version")},
		{Metric: "versitygw", Value: first(b.versitygw, "--version")},
		{Metric: "load average at the start", Value: loadAverage() + " (1, 5, 15 min; other work on the machine slows every figure)"},
		{Metric: "sizes", Value: fmt.Sprintf("big file %s, PROPFIND folder %d files, %d documents, %d queries", mib(b.size), b.files, b.docs, b.queries)},
	}
}

// bigFile generates the big file once, in the work directory.
func (b *bench) bigFile() (string, string, error) {
	if b.bigPath != "" {
		return b.bigPath, b.bigSum, nil
	}
	path := filepath.Join(b.dir, "big.bin")
	sum, err := writeRandomFile(path, b.size, 1)
	if err != nil {
		return "", "", err
	}
	b.bigPath, b.bigSum = path, sum
	return path, sum, nil
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// showLogs prints the end of each server log before the work directory
// goes, so a failure can be understood.
func (b *bench) showLogs() {
	logs, _ := filepath.Glob(filepath.Join(b.dir, "*.log"))
	for _, l := range logs {
		data, err := os.ReadFile(l)
		if err != nil {
			continue
		}
		if len(data) > 4000 {
			data = data[len(data)-4000:]
		}
		fmt.Fprintf(os.Stderr, "--- end of %s:\n%s\n", filepath.Base(l), data)
	}
}

// workMarker marks a directory as the bench's own work directory.
const workMarker = ".notreasso-bench"

// prepareWorkDir makes dir an empty work directory. What an earlier run
// left there (--keep, a crash) is removed, or the sections would find
// their servers' old data; a non-empty directory the bench did not create
// is refused rather than emptied.
func prepareWorkDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("work directory: %w", err)
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(dir, workMarker)); err != nil {
			return fmt.Errorf("work directory %s is not empty and was not made by notreasso-bench: empty it or pass another --dir", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("emptying the previous run's work directory: %w", err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("work directory: %w", err)
	}
	spreadSubdirs(dir)
	return os.WriteFile(filepath.Join(dir, workMarker), []byte("work directory of notreasso-bench; emptied by its next run\n"), 0o644)
}
