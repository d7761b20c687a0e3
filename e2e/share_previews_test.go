package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"notreasso/internal/testutil/browser"
	"notreasso/internal/testutil/server"
	"notreasso/internal/testutil/tier"
)

// Share-link pages show what the app shows, through the link's own check:
// an office document as page images with page navigation, a CSV as a
// table, a PDF as page images (a phone without a PDF viewer reads it), a
// folder's files as thumbnails. A link to one file reveals no other; a
// password-protected link's renderings want the password; a revoked link
// gives nothing; a link with a download limit shows no pages.
func TestSharePreviews(t *testing.T) {
	tier.Tool(t, "pdftoppm", "poppler-utils")
	docx := officeFile(t, "invitation.txt", "Garden party\n\nInvitation au jardin partagé le samedi.\n"+strings.Repeat("Programme de la journée\n", 70), "docx")
	srv := server.Start(t, server.Options{})
	a := admin(t, srv)
	files := map[string][]byte{
		"/Fête/invitation.docx": docx,
		"/Fête/programme.pdf":   makePDF("Programme de la fete"),
		"/Fête/dons.csv":        []byte("Nom;Ville\r\nHélène Dupré;Orléans\r\nFrançois;Besançon\r\n"),
		"/Fête/affiche.png":     posterPNG(t, 800, 500),
		"/Bureau/secret.pdf":    makePDF("Budget confidentiel"),
	}
	for _, d := range []string{"/Fête", "/Bureau"} {
		a.call("POST", "/api/v1/folders/"+escapePath(d), nil, nil)
	}
	for p, b := range files {
		if st, _ := a.put(p, b); st != 201 {
			t.Fatalf("upload %s: %d", p, st)
		}
	}
	for _, p := range []string{"/Fête/invitation.docx", "/Fête/programme.pdf", "/Fête/affiche.png", "/Bureau/secret.pdf"} {
		waitStatus(t, a, "/thumb/"+escapePath(p), 200, 2*time.Minute)
	}
	share := func(req map[string]any) (string, int64) {
		t.Helper()
		var out map[string]any
		if st := a.call("POST", "/api/v1/shares", req, &out); st != 201 {
			t.Fatalf("share %v: %d %v", req, st, out)
		}
		return out["token"].(string), int64(out["id"].(float64))
	}
	html := map[string]string{"Accept": "text/html", "Accept-Language": "fr"}
	visitor := newBrowser(t, srv)
	get := func(path string, hdr map[string]string) (int, string, http.Header) {
		t.Helper()
		return visitor.do("GET", path, nil, hdr)
	}
	srcRE := regexp.MustCompile(`id="page-img" src="([^"]+)"`)
	pageImg := func(page string) string {
		t.Helper()
		m := srcRE.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no page image in:\n%.2000s", page)
		}
		return strings.ReplaceAll(m[1], "&amp;", "&")
	}

	// A folder link: thumbnails in the grid, pages, a table.
	folder, folderID := share(map[string]any{"path": "/Fête"})
	base := "/s/" + folder
	st, page, _ := get(base+"/", html)
	if st != 200 || !strings.Contains(page, `class="tiles"`) || !strings.Contains(page, `src="`+base+"/thumb/programme.pdf?h=") {
		t.Fatalf("folder page: %d, no thumbnails:\n%.3000s", st, page)
	}
	if strings.Contains(page, "secret") || strings.Contains(page, "Bureau") {
		t.Errorf("the folder page names what the link does not reach")
	}
	st, page, _ = get(base+"/file/invitation.docx", html)
	if st != 200 || !strings.Contains(page, "Page 1 sur 2") || !strings.Contains(page, `id="page-next"`) {
		t.Fatalf("document page: %d\n%.3000s", st, page)
	}
	img := pageImg(page)
	if !strings.HasPrefix(img, base+"/page/invitation.docx?") {
		t.Errorf("page image %s is not the link's", img)
	}
	if st, body, h := get(img, nil); st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "image/") || len(body) < 100 {
		t.Errorf("page image: %d %s", st, h.Get("Content-Type"))
	}
	st, page, _ = get(base+"/file/invitation.docx?page=2", html)
	if st != 200 || !strings.Contains(page, "Page 2 sur 2") || !strings.Contains(page, `id="page-prev"`) {
		t.Errorf("page 2: %d", st)
	}
	if st, _, h := get(base+"/pdf/invitation.docx", nil); st != 200 || h.Get("Content-Type") != "application/pdf" {
		t.Errorf("the document's PDF: %d %s", st, h.Get("Content-Type"))
	}
	st, page, _ = get(base+"/file/programme.pdf", html)
	if st != 200 || !strings.Contains(page, "Page 1 sur 1") || !strings.Contains(page, `data-pdf="`+base+`/file/programme.pdf"`) {
		t.Errorf("PDF page: %d\n%.2000s", st, page)
	}
	if st, _, _ := get(pageImg(page), nil); st != 200 {
		t.Errorf("PDF page image: %d", st)
	}
	st, page, _ = get(base+"/file/dons.csv", html)
	if st != 200 || !strings.Contains(page, `id="table-preview"`) || !strings.Contains(page, "<td>Hélène Dupré</td>") {
		t.Errorf("CSV page: %d\n%.2000s", st, page)
	}
	// Outside the link: nothing, whatever the path.
	for _, p := range []string{"/page/..%2FBureau%2Fsecret.pdf?n=1", "/page/Bureau/secret.pdf?n=1", "/thumb/..%2FBureau%2Fsecret.pdf", "/pdf/absent.docx"} {
		if st, body, _ := get(base+p, nil); st == 200 || strings.Contains(body, "secret") {
			t.Errorf("%s%s: %d", base, p, st)
		}
	}

	// On a phone: the page image fits, with the page navigation.
	u := &ui{t: t, b: browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"}), base: srv.URL, shots: screenshotDir(t)}
	u.b.Viewport(360, 740)
	u.b.Do("open the document", chromedp.Navigate(srv.URL+base+"/file/invitation.docx"), chromedp.WaitVisible("#page-img"))
	u.clean("share document on a phone")
	if w := browser.Eval[int](u.b, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("the share page is %d px wide on a 360 px phone", w)
	}
	if ok := browser.Eval[bool](u.b, `(() => { const i = document.querySelector('#page-img'); return i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().width <= 360 })()`); !ok {
		t.Errorf("the page image is not shown within the phone's width")
	}
	u.b.Navigates("next page", chromedp.Click("#page-next"))
	if got := u.text("#page-of"); got != "Page 2 sur 2" {
		t.Errorf("after « suivante »: %q", got)
	}
	// The folder's tiles on the phone, their thumbnails loaded.
	u.b.Do("open the folder", chromedp.Navigate(srv.URL+base+"/"), chromedp.WaitVisible("#share-items"))
	thumbsLoaded := `[...document.querySelectorAll('.tile-img img')].filter(i => i.complete && i.naturalWidth > 0).length`
	for deadline := time.Now().Add(20 * time.Second); browser.Eval[int](u.b, thumbsLoaded) < 3; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d thumbnails shown in the shared folder, want 3", browser.Eval[int](u.b, thumbsLoaded))
		}
	}
	u.clean("shared folder on a phone")
	u.b.Screenshot(u.shots, "share-folder-thumbnails-phone")
	u.b.ResetViewport()
	u.b.Do("reload for desktop", chromedp.Reload(), chromedp.WaitVisible("#share-items"))
	for deadline := time.Now().Add(20 * time.Second); browser.Eval[int](u.b, thumbsLoaded) < 3; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("thumbnails not shown on a desktop")
		}
	}
	u.b.Screenshot(u.shots, "share-folder-thumbnails-desktop")

	// A link to one file reveals no other file's renderings.
	one, _ := share(map[string]any{"path": "/Fête/programme.pdf"})
	for _, p := range []string{"/page/invitation.docx?n=1", "/pdf/invitation.docx", "/thumb/invitation.docx", "/page/..%2Finvitation.docx?n=1"} {
		if st, _, h := get("/s/"+one+p, nil); (st != 404 && st != 400) || strings.HasPrefix(h.Get("Content-Type"), "image/") {
			t.Errorf("file link %s: %d, want 404 (400 for a path with ..)", p, st)
		}
	}
	if st, page, _ := get("/s/"+one+"/", html); st != 200 || !strings.Contains(page, `id="page-img"`) {
		t.Errorf("file link page: %d", st)
	}

	// A password: no rendering before it, all of them after.
	locked, _ := share(map[string]any{"path": "/Fête", "password": "jardin-partage"})
	lb := "/s/" + locked
	stranger := newBrowser(t, srv)
	for _, p := range []string{"/file/invitation.docx", "/page/invitation.docx?n=1", "/pdf/invitation.docx", "/thumb/programme.pdf"} {
		st, body, _ := stranger.do("GET", lb+p, nil, html)
		if st != 401 || strings.Contains(body, "page-img") || strings.Contains(body, "%PDF") {
			t.Errorf("locked %s without the password: %d", p, st)
		}
	}
	stranger.do("GET", lb+"/", nil, html)
	if st, loc := stranger.postForm(lb+"/unlock", url.Values{"password": {"jardin-partage"}}); st != 303 {
		t.Fatalf("unlock: %d %s", st, loc)
	}
	if st, page, _ := stranger.do("GET", lb+"/file/invitation.docx", nil, html); st != 200 || !strings.Contains(page, `id="page-img"`) {
		t.Errorf("locked link after the password: %d", st)
	}
	if st, _, _ := stranger.do("GET", lb+"/page/invitation.docx?n=2", nil, nil); st != 200 {
		t.Errorf("page image after the password: %d", st)
	}

	// A download limit: the file page shows no pages, the endpoints refuse.
	counted, _ := share(map[string]any{"path": "/Fête", "max_downloads": 3})
	if st, page, _ := get("/s/"+counted+"/file/invitation.docx", html); st != 200 || strings.Contains(page, `id="page-img"`) {
		t.Errorf("counted link shows pages: %d", st)
	}
	if st, _, _ := get("/s/"+counted+"/page/invitation.docx?n=1", nil); st != 404 {
		t.Errorf("counted link page image: %d", st)
	}

	// Revoked: nothing any more.
	if st := a.call("DELETE", fmt.Sprintf("/api/v1/shares/%d", folderID), nil, nil); st != 204 && st != 200 {
		t.Fatalf("revoke: %d", st)
	}
	for _, p := range []string{"/file/invitation.docx", img[len(base):], "/pdf/invitation.docx", "/thumb/programme.pdf"} {
		if st, body, _ := get(base+p, html); st == 200 || strings.Contains(body, "page-img") {
			t.Errorf("revoked %s: %d", p, st)
		}
	}
}
