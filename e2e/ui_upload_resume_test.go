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
	"github.com/chromedp/chromedp"

	"notreasso/internal/testutil/browser"
	"notreasso/internal/testutil/server"
)

// Sending the same bytes again says no version was added; the panel shows
// bytes sent, can be closed once done, and warns before leaving while
// sending; a chunked upload cut by leaving the page goes on from what the
// server received when the page is opened again and the file picked.
func TestWebUIUploadPanelAndResume(t *testing.T) {
	srv := server.Start(t, server.Options{})
	api := admin(t, srv)
	api.call("POST", "/api/v1/folders/Films", nil, nil)
	u := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: srv.URL}
	u.login("admin", server.AdminPassword)
	u.open("/browse/Films", "#listing")

	// Identical content: no new version, said so.
	same := writeFiles(t, map[string]string{"note.txt": "une note\n"})
	u.b.Do("upload", chromedp.SetUploadFiles("#pick-files", same))
	u.b.WaitFor("first upload", `document.querySelectorAll('#up-list .status.done').length === 1`)
	u.b.Do("upload the same bytes", chromedp.SetUploadFiles("#pick-files", same))
	u.b.WaitFor("second upload", `document.querySelectorAll('#up-list .status.done').length === 2`)
	if got := u.text("#up-list li:last-child .status"); !strings.Contains(got, "Contenu identique") || strings.Contains(got, "version 1") {
		t.Errorf("identical upload says %q", got)
	}
	var vs map[string]any
	if st := api.call("GET", "/api/v1/versions/Films/note.txt", nil, &vs); st != 200 {
		t.Fatalf("versions: %d", st)
	}
	if list, _ := vs["versions"].([]any); len(list) != 1 {
		t.Errorf("versions after an identical upload: %v", vs)
	}
	if got := u.text("#up-bytes"); !strings.Contains(got, "sur") || !strings.Contains(got, " o") {
		t.Errorf("bytes sent: %q", got)
	}
	// Done: the panel can be closed, and leaving asks nothing.
	if left := browser.Eval[bool](u.b, `!window.dispatchEvent(new Event('beforeunload', {cancelable: true}))`); left {
		t.Error("leaving after the uploads finished is held back")
	}
	u.b.Do("close the panel", chromedp.Click("#up-close"))
	if !browser.Eval[bool](u.b, `document.getElementById('uploads').hidden && !document.querySelector('#up-list li')`) {
		t.Error("the panel did not close")
	}

	// A large file: the second chunk is held, as on a slow line.
	var mu sync.Mutex
	puts := 0
	hold := true
	if err := chromedp.Listen(u.b.Ctx, func(ev any) {
		e, ok := ev.(*fetch.EventRequestPaused)
		if !ok {
			return
		}
		mu.Lock()
		stall := false
		if e.Request.Method == "PUT" {
			puts++
			stall = hold && puts == 2
		}
		mu.Unlock()
		if stall {
			return // never answered: the page is left meanwhile
		}
		go chromedp.Call(u.b.Ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: e.RequestID})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(u.b.Ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/api/v1/uploads/*"}}}); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 16<<20+999)
	rand.Read(data)
	big := filepath.Join(t.TempDir(), "assemblée.mp4")
	if err := os.WriteFile(big, data, 0o644); err != nil {
		t.Fatal(err)
	}
	u.b.Do("upload a large file", chromedp.SetUploadFiles("#pick-files", []string{big}))
	u.b.WaitFor("first chunk sent", `document.getElementById('up-total').value >= 45`)
	if !browser.Eval[bool](u.b, `!window.dispatchEvent(new Event('beforeunload', {cancelable: true}))`) {
		t.Error("leaving during an upload is not held back")
	}
	if got := u.text("#up-bytes"); !strings.Contains(got, "Mo sur 16") {
		t.Errorf("bytes sent during the upload: %q", got)
	}
	if !browser.Eval[bool](u.b, `document.getElementById('up-close').hidden`) {
		t.Error("the panel can be closed while sending")
	}

	// Leave (the page is gone, the upload with it) and come back.
	mu.Lock()
	hold = false
	mu.Unlock()
	u.b.ConfirmLeaving(true)
	u.b.Do("leave", chromedp.Navigate(u.base+"/activity"), chromedp.WaitReady("main"))
	if n := u.b.ConfirmLeaving(false); n != 1 {
		t.Errorf("%d « leave this page? » warnings, want 1", n)
	}
	u.b.Errors() // the cut request may log
	u.b.Do("come back", chromedp.Navigate(u.base+"/browse/Films"), chromedp.WaitReady("#listing"))
	u.b.WaitFor("interrupted upload offered", `!!document.querySelector('#up-pending li input[type=file]')`)
	if got := u.text("#up-pending"); !strings.Contains(got, "assemblée.mp4") || !strings.Contains(got, "50 %") && !strings.Contains(got, "49 %") {
		t.Errorf("interrupted upload: %q", got)
	}
	mu.Lock()
	before := puts
	mu.Unlock()
	u.b.Do("pick the file again", chromedp.SetUploadFiles("#up-pending li input[type=file]", []string{big}))
	u.b.WaitFor("upload done", `document.querySelectorAll('#up-list .status.done').length === 1`)
	mu.Lock()
	if sent := puts - before; sent != 2 {
		t.Errorf("%d chunks sent after resuming, want the 2 missing", sent)
	}
	mu.Unlock()
	st, got, _ := api.get(escapePath("/Films/assemblée.mp4"), nil)
	if st != 200 || !bytes.Equal(got, data) {
		t.Fatalf("stored file: %d, %d bytes, equal=%v", st, len(got), bytes.Equal(got, data))
	}
	if n := browser.Eval[int](u.b, `JSON.parse(localStorage.getItem('notreasso.uploads') || '[]').length`); n != 0 {
		t.Errorf("%d uploads still remembered", n)
	}
	u.clean("after resume")
}
