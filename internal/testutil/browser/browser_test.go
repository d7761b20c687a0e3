package browser

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser tests rely on these listeners to fail on console errors and
// dialogs: check that they do see them.
func TestListenersSeeErrorsAndDialogs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	b := Start(t, Options{})
	b.Do("blank", chromedp.Navigate("about:blank"))
	Eval[bool](b, `console.error("boom"); setTimeout(() => { throw new Error("uncaught") }, 0); setTimeout(() => alert("xss"), 10); true`)
	deadline := time.Now().Add(5 * time.Second)
	var errs []string
	for time.Now().Before(deadline) && (len(errs) < 2 || len(b.Dialogs()) == 0) {
		errs = append(errs, b.Errors()...)
		time.Sleep(50 * time.Millisecond)
	}
	if len(errs) < 2 {
		t.Errorf("console error and exception not both seen: %v", errs)
	}
	if len(b.Dialogs()) != 1 {
		t.Errorf("dialogs: %v", b.Dialogs())
	}
	// The dismissed dialog must not block the page.
	if v := Eval[int](b, "1 + 1"); v != 2 {
		t.Errorf("page blocked after the dialog: %d", v)
	}
}
