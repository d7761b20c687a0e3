// Package browser starts Debian's headless Chromium for tests, driven by
// chromedp, and records what a page must never do: write an error to the
// console, throw an uncaught exception, or open a JavaScript dialog.
package browser

import (
	"context"
	"fmt"
	"notreasso/internal/testutil/tier"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ExecPath is where Debian installs Chromium (`apt-get install chromium`).
const ExecPath = "/usr/bin/chromium"

// Browser is one headless Chromium with one tab.
type Browser struct {
	Ctx context.Context
	t   testing.TB

	mu      sync.Mutex
	errs    []string
	dialogs []string
	leave   bool // confirm "leave this page?" (beforeunload) dialogs
	leaves  int  // beforeunload dialogs confirmed
}

// ConfirmLeaving makes the browser answer "leave" to the page's
// "leave this page?" warning, as a person who means to leave does, and
// returns how many such warnings were confirmed so far.
func (b *Browser) ConfirmLeaving(on bool) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.leave = on
	return b.leaves
}

// Options tunes the browser.
type Options struct {
	AcceptLanguage string // e.g. "fr-FR,fr"; the browser's default if empty
	Width, Height  int    // window size; 1280×900 if zero
}

// Available reports whether Chromium is installed.
func Available() bool {
	_, err := exec.LookPath(ExecPath)
	return err == nil
}

// Start launches Chromium with a fresh profile. It is stopped when the
// test ends.
func Start(t testing.TB, o Options) *Browser {
	t.Helper()
	tier.Tool(t, ExecPath, "chromium")
	if o.Width == 0 {
		o.Width, o.Height = 1280, 900
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ExecPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")),
		chromedp.WindowSize(o.Width, o.Height),
	)
	if o.AcceptLanguage != "" {
		opts = append(opts, chromedp.Flag("accept-lang", o.AcceptLanguage), chromedp.Flag("lang", strings.Split(o.AcceptLanguage, ",")[0]))
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); acancel() })
	b := &Browser{Ctx: ctx, t: t}
	if err := chromedp.Listen(ctx, b.watch); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return b
}

// watch runs on chromedp's reading goroutine: it only records, and hands
// dialogs to another goroutine to dismiss (a blocked page would hang).
func (b *Browser) watch(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			b.record("console.%s: %s", ev.Type, strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		b.record("exception at %s:%d: %s", d.URL, d.LineNumber, msg)
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			b.record("browser log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
		}
	case *page.EventJavascriptDialogOpening:
		b.mu.Lock()
		accept := b.leave && ev.Type == page.DialogTypeBeforeunload
		if accept {
			b.leaves++
		} else {
			b.dialogs = append(b.dialogs, fmt.Sprintf("%s: %q on %s", ev.Type, ev.Message, ev.URL))
		}
		b.mu.Unlock()
		go chromedp.Call(b.Ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
	}
}

func (b *Browser) record(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errs = append(b.errs, fmt.Sprintf(format, args...))
}

// Errors returns (and forgets) the console errors and exceptions so far.
func (b *Browser) Errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.errs
	b.errs = nil
	return out
}

// Dialogs returns every JavaScript dialog that opened.
func (b *Browser) Dialogs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.dialogs...)
}

// Do runs actions with a time limit, failing the test on error.
func (b *Browser) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// Eval evaluates a JavaScript expression and returns its value.
func Eval[T any](b *Browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// WaitFor evaluates a JavaScript condition every 50 ms until it is true.
// Errors count as false: the page may be navigating meanwhile.
func (b *Browser) WaitFor(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.Ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waiting for %s (%s): last error %v", what, cond, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Navigates runs an action that leaves the page (a link, a form) and waits
// until the next page has loaded.
func (b *Browser) Navigates(what string, action chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	Eval[bool](b, "window.__leaving = true")
	b.Do(what, action)
	b.WaitFor(what, "!window.__leaving && document.readyState === 'complete'")
}

// NavigatesByScript is Navigates for a script that leaves the page (a
// link's own click(): unlike a mouse click at coordinates read a moment
// before, it cannot land beside a link that the page shifted).
func (b *Browser) NavigatesByScript(what, expr string) {
	b.t.Helper()
	Eval[bool](b, "window.__leaving = true")
	Eval[bool](b, "("+expr+", true)")
	b.WaitFor(what, "!window.__leaving && document.readyState === 'complete'")
}

// Viewport sets the page's size in CSS pixels (360 for a small phone).
func (b *Browser) Viewport(width, height int64) {
	b.t.Helper()
	b.Do("viewport", chromedp.EmulateViewport(width, height))
}

// ResetViewport returns to the window's own size.
func (b *Browser) ResetViewport() {
	b.t.Helper()
	b.Do("reset viewport", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
		return err
	}))
}

// Screenshot writes a full-page PNG of the current page to dir/name.png.
func (b *Browser) Screenshot(dir, name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}
