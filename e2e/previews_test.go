package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	_ "image/jpeg"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/text/encoding/charmap"

	"notreasso/internal/testutil/browser"
	"notreasso/internal/testutil/server"
	"notreasso/internal/testutil/tier"
)

// officeFile converts a text file into an office format with the real
// LibreOffice.
func officeFile(t *testing.T, name, content, to string) []byte {
	t.Helper()
	bin := tier.Tool(t, "soffice", "libreoffice-writer-nogui")
	dir := t.TempDir()
	src := filepath.Join(dir, name)
	os.WriteFile(src, []byte(content), 0o644)
	cmd := exec.Command(bin, "--headless", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--convert-to", to, "--outdir", dir, src)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, strings.TrimSuffix(name, filepath.Ext(name))+"."+to))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func posterPNG(t *testing.T, w, h int) []byte {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.RGBA{uint8(x * 255 / w), 90, uint8(y * 255 / h), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bombPNG is a valid PNG header claiming 100 000 × 100 000 pixels, with
// a tiny compressed body.
func bombPNG() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 100000)
	binary.BigEndian.PutUint32(ihdr[4:], 100000)
	ihdr[8], ihdr[9] = 8, 6
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// waitStatus polls path until it answers want (the worker renders in the
// background), failing after limit.
func waitStatus(t *testing.T, c *client, path string, want int, limit time.Duration) []byte {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		st, body, _ := c.raw(path, nil)
		if st == want {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d after %s, want %d", path, st, limit, want)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func decodeSize(t *testing.T, b []byte) (int, int) {
	t.Helper()
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not an image: %v", err)
	}
	return cfg.Width, cfg.Height
}

// TestPreviews: thumbnails of a PNG, a PDF and a DOCX of the expected
// size; the DOCX and the ODS shown as page images in Chromium, whose text
// tesseract reads back; a Windows-1252 CSV as a table with its accents;
// a decompression bomb as « no preview »; a person who may not read the
// files gets 404 on every preview door, as on the download. Screenshots of
// the grid, a DOCX and a spreadsheet at desktop and phone widths.
func TestPreviews(t *testing.T) {
	tier.Tool(t, "pdftoppm", "poppler-utils")
	tesseract := tier.Tool(t, "tesseract", "tesseract-ocr")
	// Two pages: the title on the first, the programme running over.
	docx := officeFile(t, "invitation.txt", "Garden party\n\nInvitation au jardin partagé le samedi.\n"+strings.Repeat("Programme de la journée\n", 70), "docx")
	ods := officeFile(t, "budget.csv", "Poste,Montant\nLocation,350\nBuvette,120\n", "ods")
	csv, _ := charmap.Windows1252.NewEncoder().String("Nom;Ville\r\nHélène Dupré;Orléans\r\nFrançois;Besançon\r\n")

	srv := server.Start(t, server.Options{})
	a := admin(t, srv)
	files := map[string][]byte{
		"/Fête/affiche.png":     posterPNG(t, 1000, 600),
		"/Fête/programme.pdf":   makePDF("Programme de la fete"),
		"/Fête/invitation.docx": docx,
		"/Fête/budget.ods":      ods,
		"/Fête/dons.csv":        []byte(csv),
		"/Fête/bombe.png":       bombPNG(),
	}
	a.call("POST", "/api/v1/folders/"+escapePath("/Fête"), nil, nil)
	for p, b := range files {
		if st, _ := a.put(p, b); st != 201 {
			t.Fatalf("upload %s: %d", p, st)
		}
	}
	thumb := func(p string) string { return "/thumb/" + escapePath(p) }
	for p, size := range map[string][2]int{"/Fête/affiche.png": {320, 192}, "/Fête/programme.pdf": {247, 320}, "/Fête/invitation.docx": {226, 320}} {
		b := waitStatus(t, a, thumb(p), 200, 2*time.Minute)
		// pdftoppm rounds the width of a page either way.
		if w, h := decodeSize(t, b); w < size[0]-1 || w > size[0]+1 || h != size[1] {
			t.Errorf("thumbnail of %s is %d×%d, want %d×%d", p, w, h, size[0], size[1])
		}
	}
	// Caching headers as for downloads: an ETag, revalidated.
	st, _, hdr := a.raw(thumb("/Fête/affiche.png"), nil)
	if etag := hdr.Get("ETag"); st != 200 || etag == "" || hdr.Get("Cache-Control") != "private, no-cache" {
		t.Fatalf("thumbnail headers: %d %v", st, hdr)
	} else if st, _, _ := a.raw(thumb("/Fête/affiche.png"), map[string]string{"If-None-Match": etag}); st != 304 {
		t.Errorf("If-None-Match: %d, want 304", st)
	}

	// Someone without read access: 404 everywhere, as on the download.
	var made map[string]any
	a.call("POST", "/api/v1/admin/users", map[string]any{"login": "invite", "role": "guest"}, &made)
	pw, _ := made["password"].(string)
	guest := newClient(t, srv, "invite", pw)
	downloads := map[string]string{}
	for _, f := range []string{"/Fête/affiche.png", "/Fête/invitation.docx", "/Fête/programme.pdf"} {
		st, body, _ := guest.raw("/api/v1/files/"+escapePath(f), nil)
		if st != http.StatusNotFound {
			t.Fatalf("guest download of %s: %d", f, st)
		}
		downloads[f] = string(body)
	}
	for p, f := range map[string]string{thumb("/Fête/affiche.png"): "/Fête/affiche.png",
		thumb("/Fête/invitation.docx"): "/Fête/invitation.docx", "/page/" + escapePath("/Fête/invitation.docx") + "?n=1": "/Fête/invitation.docx",
		"/pdf/" + escapePath("/Fête/invitation.docx"): "/Fête/invitation.docx", "/page/" + escapePath("/Fête/programme.pdf") + "?n=1": "/Fête/programme.pdf",
		"/preview/" + escapePath("/Fête/affiche.png"): "/Fête/affiche.png"} {
		if st, body, _ := guest.raw(p, nil); st != http.StatusNotFound || string(body) != downloads[f] {
			t.Errorf("guest GET %s: %d %s, want 404 as the download's: %s", p, st, body, downloads[f])
		}
	}
	// A share link's page shows the document's first page; its thumbnail
	// answers only through the link.
	var link map[string]any
	if st := a.call("POST", "/api/v1/shares", map[string]any{"path": "/Fête/invitation.docx"}, &link); st != 201 {
		t.Fatalf("share link: %d", st)
	}
	token, _ := link["token"].(string)
	visitor := newBrowser(t, srv)
	if st, page, _ := visitor.do("GET", "/s/"+token+"/", nil, nil); st != 200 || !strings.Contains(page, `id="page-img"`) {
		t.Fatalf("share page: %d, no thumbnail:\n%.500s", st, page)
	}
	if st, _, _ := visitor.do("GET", "/s/"+token+"/thumb/", nil, nil); st != 200 {
		t.Errorf("share thumbnail: %d", st)
	}
	if st, _, _ := visitor.do("GET", "/s/"+token+"x/thumb/", nil, nil); st != 404 {
		t.Errorf("thumbnail of a wrong token: %d", st)
	}
	if st, _, _ := a.raw("/page/"+escapePath("/Fête/invitation.docx")+"?n=1", nil); st != 200 {
		t.Fatalf("admin page 1: %d", st)
	}
	// The bomb: no thumbnail, and the server is still up.
	waitStatus(t, a, thumb("/Fête/bombe.png"), 404, 10*time.Second)
	if st, _, _ := a.raw("/healthz", nil); st != 200 {
		t.Fatalf("healthz after the bomb: %d", st)
	}

	b := browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"})
	u := &ui{t: t, b: b, base: srv.URL, shots: screenshotDir(t)}
	u.login("admin", server.AdminPassword)

	// The grid, remembered for the next visit.
	u.open("/browse/"+escapePath("/Fête"), "#view-grid")
	b.Navigates("grid view", chromedp.Click("#view-grid"))
	b.WaitFor("thumbnails", `document.querySelectorAll('#tiles img').length >= 3 && [...document.querySelectorAll('#tiles img')].every(i => i.complete && i.naturalWidth > 0)`)
	u.open("/browse/"+escapePath("/Fête"), "#tiles")
	if got := u.text("#view-grid[aria-pressed=true]"); got == "" {
		t.Errorf("the grid view was not remembered")
	}
	axe := browser.AxeScript(t)
	if v := b.Axe(axe); len(v) > 0 {
		t.Errorf("grid view: axe violations: %v", v)
	}
	u.screenshot("previews-grid")

	ocr := func(what string) string {
		t.Helper()
		data := browser.Eval[string](b, `(() => { const i = document.querySelector('#page-img'); const c = document.createElement('canvas');
			c.width = i.naturalWidth; c.height = i.naturalHeight; c.getContext('2d').drawImage(i, 0, 0); return c.toDataURL('image/png').slice(22); })()`)
		raw, err := base64.StdEncoding.DecodeString(data)
		if err != nil || len(raw) == 0 {
			t.Fatalf("%s: page image not readable from the page: %v", what, err)
		}
		f := filepath.Join(t.TempDir(), "page.png")
		os.WriteFile(f, raw, 0o644)
		out, err := exec.Command(tesseract, f, "-", "-l", "eng").Output()
		if err != nil {
			t.Fatalf("tesseract: %v", err)
		}
		return string(out)
	}
	u.open("/file/"+escapePath("/Fête/invitation.docx"), "#page-of")
	b.WaitFor("page image", `document.querySelector('#page-img').complete && document.querySelector('#page-img').naturalWidth === 1100`)
	if text := ocr("docx"); !strings.Contains(text, "Garden party") {
		t.Errorf("page 1 of the DOCX reads %q, want « Garden party »", text)
	}
	if got := u.text("#page-of"); got != "Page 1 sur 2" {
		t.Errorf("page navigation: %q", got)
	}
	if v := b.Axe(axe); len(v) > 0 {
		t.Errorf("DOCX preview: axe violations: %v", v)
	}
	u.screenshot("previews-docx")
	b.Navigates("next page", chromedp.Click("#page-next"))
	b.WaitFor("page 2", `document.querySelector('#page-img').complete && document.querySelector('#page-img').naturalWidth === 1100`)
	if got := u.text("#page-of"); got != "Page 2 sur 2" || browser.Eval[bool](b, `!!document.querySelector('#page-next')`) {
		t.Errorf("page 2: %q, or a next link on the last page", got)
	}
	if text := ocr("docx page 2"); !strings.Contains(text, "Programme") {
		t.Errorf("page 2 of the DOCX reads %q", text)
	}

	u.open("/file/"+escapePath("/Fête/budget.ods")+"?show=pages", "#page-of")
	b.WaitFor("ods page image", `document.querySelector('#page-img').complete && document.querySelector('#page-img').naturalWidth === 1100`)
	if text := ocr("ods"); !strings.Contains(text, "Buvette") {
		t.Errorf("page 1 of the ODS reads %q, want « Buvette »", text)
	}
	u.open("/file/"+escapePath("/Fête/budget.ods"), "#table-preview")
	if got := u.text("#table-preview table"); !strings.Contains(got, "Location") || !strings.Contains(got, "350") {
		t.Errorf("ODS table: %q", got)
	}

	u.open("/file/"+escapePath("/Fête/dons.csv"), "#table-preview")
	cells := browser.Eval[string](b, `[...document.querySelectorAll('#table-preview td')].map(td => td.textContent).join('|')`)
	if cells != "Nom|Ville|Hélène Dupré|Orléans|François|Besançon" {
		t.Errorf("CSV cells: %q", cells)
	}
	if v := b.Axe(axe); len(v) > 0 {
		t.Errorf("table preview: axe violations: %v", v)
	}
	u.screenshot("previews-table")

	u.open("/file/"+escapePath("/Fête/bombe.png"), "#no-preview")
	if n := browser.Eval[int](b, `document.querySelectorAll('.preview img').length`); n != 0 {
		t.Errorf("the bomb is handed to the browser: %d images", n)
	}
}

// TestPreviewsHang: a LibreOffice that hangs (a fake soffice first on
// PATH) and a corrupt document end as « no preview » within the timeout;
// the server stays up and counts the failure in /metrics.
func TestPreviewsHang(t *testing.T) {
	tier.Tool(t, "pdftoppm", "poppler-utils")
	bin := t.TempDir()
	os.WriteFile(filepath.Join(bin, "soffice"), []byte("#!/bin/sh\nsleep 600\n"), 0o755)
	srv := server.Start(t, server.Options{Env: []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"NOTREASSO_PREVIEW_TIMEOUT=3s"}})
	a := admin(t, srv)
	if st, _ := a.put("/rapport.docx", append([]byte("PK\x03\x04"), bytes.Repeat([]byte{0xde, 0xad}, 3000)...)); st != 201 {
		t.Fatalf("upload: %d", st)
	}
	start := time.Now()
	deadline := start.Add(30 * time.Second)
	for {
		st, body, _ := a.raw("/file/"+escapePath("/rapport.docx"), map[string]string{"Accept": "text/html"})
		if st == 200 && bytes.Contains(body, []byte(`id="no-preview"`)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no « no preview » after %s: %d %.300s", time.Since(start), st, body)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("« no preview » after %s with a 3 s timeout", took)
	}
	if st, _, _ := a.raw("/healthz", nil); st != 200 {
		t.Fatalf("healthz: %d", st)
	}
	_, body, _ := a.raw("/metrics", nil)
	if !bytes.Contains(body, []byte(`notreasso_preview_failures_total{kind="pdf"} 1`)) || !bytes.Contains(body, []byte("notreasso_preview_queue 0")) {
		t.Errorf("metrics: %s", grepLines(string(body), "notreasso_preview"))
	}
}

// raw GETs a path of the server (get is for /api/v1/files/).
func (c *client) raw(path string, hdr map[string]string) (int, []byte, http.Header) {
	c.t.Helper()
	resp := c.do("GET", path, nil, hdr)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// TestPreviewsWithoutLibreOffice: on a server without LibreOffice, an
// office document shows its extracted text and says why there is no
// layout.
func TestPreviewsWithoutLibreOffice(t *testing.T) {
	docx := officeFile(t, "statuts.txt", "Statuts de l'association\n\nArticle premier : objet.\n", "docx")
	bin := t.TempDir()
	for _, tool := range []string{"pdftoppm", "pdfinfo", "pdftotext"} {
		p := tier.Tool(t, tool, "poppler-utils")
		if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	srv := server.Start(t, server.Options{Env: []string{"PATH=" + bin}})
	a := admin(t, srv)
	if st, _ := a.put("/statuts.docx", docx); st != 201 {
		t.Fatalf("upload: %d", st)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		st, body, _ := a.raw("/file/statuts.docx", map[string]string{"Accept": "text/html"})
		if st == 200 && bytes.Contains(body, []byte(`id="text-only"`)) && bytes.Contains(body, []byte("Article premier")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no text-only preview: %d %.400s", st, body)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if st, _, _ := a.raw("/thumb/statuts.docx", nil); st != 404 {
		t.Errorf("thumbnail without LibreOffice: %d, want 404", st)
	}
}

// TestPreviewsS3: with the S3 backend, renderings are stored in the
// bucket and served from there.
func TestPreviewsS3(t *testing.T) {
	tier.Tool(t, "pdftoppm", "poppler-utils")
	srv := server.Start(t, server.Options{Backend: "s3"})
	a := admin(t, srv)
	if st, _ := a.put("/affiche.png", posterPNG(t, 800, 400)); st != 201 {
		t.Fatalf("upload: %d", st)
	}
	b := waitStatus(t, a, "/thumb/affiche.png", 200, time.Minute)
	if w, h := decodeSize(t, b); w != 320 || h != 160 {
		t.Fatalf("thumbnail %d×%d", w, h)
	}
	// The thumbnail is a blob in the bucket, beside the upload's.
	var blobs int
	filepath.WalkDir(srv.S3.Dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(p, ".sgwtmp") {
			blobs++
		}
		return nil
	})
	if blobs < 2 {
		t.Errorf("%d objects in the bucket, want the upload and its thumbnail", blobs)
	}
}
