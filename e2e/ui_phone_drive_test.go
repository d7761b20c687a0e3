package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"notreasso/internal/testutil/browser"
	"notreasso/internal/testutil/server"
)

// The drive page's rclone command, run as printed (with the password in
// place of the placeholder), copies without deleting and keeps modification
// times; its commands wrap on a phone and have copy buttons; phones get a
// menu button instead of a bar scrolling sideways, search results before
// the filters, readable tables, and the version label form is never clipped.
func TestWebUIPhoneAndDrive(t *testing.T) {
	srv := server.Start(t, server.Options{})
	api := admin(t, srv)
	api.call("POST", "/api/v1/folders/Archives", nil, nil)
	api.put("/Archives/PV.txt", []byte("version 1\n"))
	api.put("/Archives/PV.txt", []byte("version 2\n"))
	u := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: srv.URL}
	u.login("admin", server.AdminPassword)

	// Drive: the rclone command as shown.
	u.open("/drive", "#cmd-rclone")
	cmd := u.text("#cmd-rclone")
	if !strings.Contains(cmd, "vendor=owncloud") || strings.Contains(cmd, "vendor=other") || strings.Contains(cmd, "rclone sync") || !strings.Contains(cmd, "rclone copy") {
		t.Errorf("rclone command:\n%s", cmd)
	}
	if !strings.Contains(u.text("#phone"), "Android") || !strings.Contains(u.text("#phone"), "iPhone") {
		t.Errorf("no phone instructions: %q", u.text("#phone"))
	}
	if n := browser.Eval[int](u.b, `[...document.querySelectorAll('.cmd button[data-copy]')].filter(b => !b.hidden).length`); n != 5 {
		t.Errorf("%d copy buttons for the 5 commands (4 drive, 1 sync)", n)
	}
	u.b.Do("copy the rclone command", chromedp.Click(`button[data-copy="cmd-rclone"]`))
	u.b.WaitFor("copied", `document.querySelector('button[data-copy="cmd-rclone"]').textContent.includes('Copié')`)

	home := t.TempDir()
	src := filepath.Join(home, "Documents", "asso")
	os.MkdirAll(src, 0o755)
	old := time.Date(2019, 3, 14, 15, 9, 26, 0, time.UTC)
	os.WriteFile(filepath.Join(src, "statuts.txt"), []byte("statuts de 2019\n"), 0o644)
	os.Chtimes(filepath.Join(src, "statuts.txt"), old, old)
	env := []string{"RCLONE_CONFIG=" + filepath.Join(home, "rclone.conf"), "HOME=" + home}
	pass := strings.TrimSpace(run(t, home, env, "", "rclone", "obscure", server.AdminPassword))
	for _, line := range strings.Split(cmd, "\n") {
		line = strings.ReplaceAll(line, "$(rclone obscure 'MOT-DE-PASSE')", pass)
		line = strings.ReplaceAll(line, "~/Documents/asso", src)
		f := strings.Fields(line)
		run(t, home, env, "", f[0], f[1:]...)
	}
	var st struct {
		Modified time.Time `json:"modified"`
	}
	if code := api.call("GET", "/api/v1/stat/Archives/statuts.txt", nil, &st); code != 200 || !st.Modified.Equal(old) {
		t.Errorf("after rclone copy: %d, modified %v, want %v", code, st.Modified, old)
	}
	if code, _, _ := api.get("Archives/PV.txt", nil); code != 200 {
		t.Errorf("rclone copy deleted what was already there: %d", code)
	}

	// The version label form opens whole, on a desktop and on a phone.
	visible := `(() => { const b = document.querySelector('#v1 .popbody button[type=submit]'); const r = b.getBoundingClientRect();
		const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2); return !!at && b.contains(at); })()`
	for _, w := range []int64{1280, 360} {
		u.b.Viewport(w, 740)
		u.open("/file/Archives/PV.txt", "#v1")
		u.b.Do("open the label form", chromedp.Click("#v1 details summary"))
		// The table's own scroll box must not hide the form behind a scroll
		// bar of its own: the page scrolls, the box does not.
		if inner := browser.Eval[int](u.b, `(() => { const s = document.querySelector('.versions .scroll'); return s.scrollHeight - s.clientHeight })()`); inner > 1 {
			t.Errorf("at %d px the versions box hides %d px of the label form", w, inner)
		}
		browser.Eval[bool](u.b, `(() => { const r = document.querySelector('#v1 .popbody button[type=submit]').getBoundingClientRect(); window.scrollBy(0, r.top - 200); return true })()`)
		if !browser.Eval[bool](u.b, visible) {
			t.Errorf("at %d px the label form's button is hidden or clipped", w)
		}
	}

	// Phone: one menu button, no sideways scrolling; it opens the entries.
	u.b.Viewport(360, 740)
	u.open("/browse/", "#listing")
	if !browser.Eval[bool](u.b, `getComputedStyle(document.querySelector('.menu-toggle')).display !== 'none' && getComputedStyle(document.getElementById('nav-list')).display === 'none'`) {
		t.Error("no phone menu button, or the entries show without it")
	}
	if w := browser.Eval[int](u.b, `document.getElementById('nav').scrollWidth - document.getElementById('nav').clientWidth`); w > 0 {
		t.Errorf("the menu scrolls sideways by %d px", w)
	}
	u.b.Do("open the menu", chromedp.Click(".menu-toggle"))
	if !browser.Eval[bool](u.b, `document.querySelector('.menu-toggle').getAttribute('aria-expanded') === 'true' && document.querySelector('#nav-list a[href="/trash"]').getBoundingClientRect().width > 0`) {
		t.Error("the menu did not open")
	}
	u.b.Screenshot(screenshotDir(t), "menu-phone")
	// Search on a phone: the results come before the filters.
	if resp := api.do("GET", "/api/v1/search?q=version", nil, nil); resp.StatusCode == 200 {
		resp.Body.Close()
		deadline := time.Now().Add(30 * time.Second)
		for {
			u.open("/search?q=version", "main")
			if browser.Eval[bool](u.b, `!!document.querySelector('.hit') && !!document.querySelector('.facets')`) || time.Now().After(deadline) {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if !browser.Eval[bool](u.b, `document.querySelector('.facets').getBoundingClientRect().top > document.querySelector('.hit').getBoundingClientRect().top`) {
			t.Error("on a phone the search filters come before the results")
		}
	} else {
		resp.Body.Close()
	}
	// A table of the trash on a phone: the name whole, the buttons on screen.
	api.call("DELETE", "/api/v1/files/Archives/un-nom-de-fichier-vraiment-tres-long-pour-un-telephone.txt", nil, nil)
	api.put("/Archives/un-nom-de-fichier-vraiment-tres-long-pour-un-telephone.txt", []byte("x"))
	api.do("DELETE", "/api/v1/files/Archives/un-nom-de-fichier-vraiment-tres-long-pour-un-telephone.txt", nil, nil).Body.Close()
	u.open("/trash", "main")
	if bad := browser.Eval[string](u.b, `[...document.querySelectorAll('main button, main summary')].filter(b => { const r = b.getBoundingClientRect(); return r.width && (r.right > 360 || r.left < 0) }).map(b => b.textContent.trim()).join(', ')`); bad != "" {
		t.Errorf("buttons off a 360 px screen: %s", bad)
	}
	if w := browser.Eval[float64](u.b, `document.querySelector('main table td').getBoundingClientRect().width`); w < 250 {
		t.Errorf("the trash's name column is %v px wide on a phone", w)
	}
	u.b.ResetViewport()
}
