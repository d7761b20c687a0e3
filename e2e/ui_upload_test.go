package e2e

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"notreasso/internal/testutil/browser"
	"notreasso/internal/testutil/server"
)

// A large file goes up in chunks through the resumable API; when the
// network drops one chunk, the page waits, asks the server how much
// arrived, and finishes: the stored file is byte for byte the original.
func TestWebUIChunkedUploadSurvivesNetworkError(t *testing.T) {
	srv := server.Start(t, server.Options{})
	api := admin(t, srv)
	api.call("POST", "/api/v1/folders/Vid%C3%A9os", nil, nil)
	u := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "en"}), base: srv.URL}
	u.login("admin", server.AdminPassword)
	u.open("/browse/Vid%C3%A9os", "#listing")

	// Fail the second chunk as a reset connection would.
	var mu sync.Mutex
	puts, failed := 0, 0
	if err := chromedp.Listen(u.b.Ctx, func(ev any) {
		e, ok := ev.(*fetch.EventRequestPaused)
		if !ok {
			return
		}
		mu.Lock()
		fail := false
		if e.Request.Method == "PUT" {
			puts++
			fail = puts == 2
			if fail {
				failed++
			}
		}
		mu.Unlock()
		go func() {
			if fail {
				chromedp.Call(u.b.Ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: e.RequestID, ErrorReason: network.ErrorReasonConnectionReset})
				return
			}
			chromedp.Call(u.b.Ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: e.RequestID})
		}()
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(u.b.Ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/api/v1/uploads/*"}}}); err != nil {
		t.Fatal(err)
	}

	data := make([]byte, 16<<20+777) // three chunks: 8 MiB, 8 MiB, 777 bytes
	rand.Read(data)
	path := filepath.Join(t.TempDir(), "assemblée générale.mp4")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	u.b.Do("upload a large file", chromedp.SetUploadFiles("#pick-files", []string{path}))
	u.b.WaitFor("upload done", `document.querySelectorAll('#up-list .status.done').length === 1`)
	mu.Lock()
	if failed != 1 || puts < 4 {
		t.Errorf("%d chunk requests, %d failed; want the second to fail and be sent again", puts, failed)
	}
	mu.Unlock()
	if v := browser.Eval[float64](u.b, `document.getElementById('up-total').value`); v != 100 {
		t.Errorf("overall progress %v", v)
	}
	st, got, _ := api.get(escapePath("/Vidéos/assemblée générale.mp4"), nil)
	if st != 200 || !bytes.Equal(got, data) {
		t.Fatalf("stored file: %d, %d bytes, equal=%v", st, len(got), bytes.Equal(got, data))
	}
	// The injected failure is the only console error allowed.
	for _, e := range u.b.Errors() {
		if !strings.Contains(e, "ERR_CONNECTION_RESET") {
			t.Errorf("console error: %s", e)
		}
	}
	if f := spoolFiles(srv); len(f) > 0 {
		t.Errorf("spool files left: %v", f)
	}
}

// Dropping a folder from the desktop uploads its whole tree
// (webkitGetAsEntry), creating the folders on the way.
func TestWebUIDropFolder(t *testing.T) {
	srv := server.Start(t, server.Options{})
	api := admin(t, srv)
	u := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "en"}), base: srv.URL}
	u.login("admin", server.AdminPassword)
	root := filepath.Join(t.TempDir(), "Rapports")
	for name, body := range map[string]string{"moral.txt": "rapport moral", "financier.csv": "a;b", "2025/ancien.txt": "2025"} {
		p := filepath.Join(root, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data := &input.DragData{Files: []string{root}, DragOperationsMask: 1}
	for _, typ := range []input.DispatchDragEventType{input.DispatchDragEventTypeDragEnter, input.DispatchDragEventTypeDragOver, input.DispatchDragEventTypeDrop} {
		if _, err := chromedp.Call(u.b.Ctx, input.DispatchDragEvent, input.DispatchDragEventParams{Type: typ, X: 400, Y: 300, Data: data}); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
	}
	u.b.WaitFor("three files sent", `document.querySelectorAll('#up-list .status.done').length === 3`)
	for p, want := range map[string]string{"/Rapports/moral.txt": "rapport moral", "/Rapports/2025/ancien.txt": "2025"} {
		if st, got, _ := api.get(escapePath(p), nil); st != 200 || string(got) != want {
			t.Errorf("%s: %d %q", p, st, got)
		}
	}
	u.b.WaitFor("listing refreshed", `[...document.querySelectorAll('#sel .c-name a')].some(a => a.textContent === 'Rapports')`)
	u.clean("drop")
}
