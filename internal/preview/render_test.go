package preview

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/text/encoding/charmap"

	"notreasso/internal/testutil/tier"
)

// workerEnv makes the test binary act as the rendering child, so that
// RunIsolated is tested against a real child process.
const workerEnv = "NOTREASSO_PREVIEW_TEST_WORKER"

func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) == "1" {
		os.Exit(WorkerMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Setenv(workerEnv, "1")
	os.Exit(m.Run())
}

// isolated renders a job through a real child (this test binary).
func isolated(t *testing.T, j Job, in string, lim Limits) (Result, string, time.Duration) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	start := time.Now()
	res, err := RunIsolated(context.Background(), exe, []string{"preview"}, j, in, out, lim)
	if err != nil {
		t.Fatalf("RunIsolated: %v", err)
	}
	return res, out, time.Since(start)
}

func gradient(w, h int, alpha bool) image.Image {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			a := uint8(255)
			if alpha && x < w/2 {
				a = 100
			}
			m.Set(x, y, color.NRGBA{uint8(x), uint8(y), 120, a})
		}
	}
	return m
}

func writeImage(t *testing.T, name string, enc func(*bytes.Buffer) error) string {
	t.Helper()
	var b bytes.Buffer
	if err := enc(&b); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestImageThumbnails: each image format gets a thumbnail of the expected
// size, in the expected format, through the isolated child.
func TestImageThumbnails(t *testing.T) {
	tier.External(t, "the preview child process")
	cases := []struct {
		name       string
		enc        func(*bytes.Buffer) error
		w, h       int
		mime       string
		wantW, wnH int
	}{
		{"photo.jpg", func(b *bytes.Buffer) error { return jpeg.Encode(b, gradient(1200, 800, false), nil) }, 1200, 800, "image/jpeg", 320, 213},
		{"logo.png", func(b *bytes.Buffer) error { return png.Encode(b, gradient(400, 1000, true)) }, 400, 1000, "image/png", 128, 320},
		{"anim.gif", func(b *bytes.Buffer) error { return gif.Encode(b, gradient(640, 480, false), nil) }, 640, 480, "image/jpeg", 320, 240},
		{"scan.tiff", func(b *bytes.Buffer) error { return tiff.Encode(b, gradient(900, 300, false), nil) }, 900, 300, "image/jpeg", 320, 107},
		{"dessin.bmp", func(b *bytes.Buffer) error { return bmp.Encode(b, gradient(500, 500, false)) }, 500, 500, "image/jpeg", 320, 320},
		{"small.png", func(b *bytes.Buffer) error { return png.Encode(b, gradient(100, 50, false)) }, 100, 50, "image/jpeg", 100, 50},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := writeImage(t, c.name, c.enc)
			res, out, _ := isolated(t, Job{Op: OpThumb, Name: c.name, Size: ThumbSize}, in, Limits{})
			if res.Status != "ok" || res.Mime != c.mime || res.Width != c.wantW || res.Height != c.wnH {
				t.Fatalf("result %+v, want %s %d×%d", res, c.mime, c.wantW, c.wnH)
			}
			if w, h := imageSize(out); w != c.wantW || h != c.wnH {
				t.Fatalf("thumbnail file is %d×%d, want %d×%d", w, h, c.wantW, c.wnH)
			}
		})
	}
}

// bombPNG is a valid PNG header claiming width×height pixels, with a tiny
// compressed body: what a decompression bomb looks like.
func bombPNG(width, height uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], width)
	binary.BigEndian.PutUint32(ihdr[4:], height)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// TestDecompressionBomb: a 100 000 × 100 000 PNG of a few bytes is never
// decoded: no preview, at once.
func TestDecompressionBomb(t *testing.T) {
	tier.External(t, "the preview child process")
	in := filepath.Join(t.TempDir(), "bomb.png")
	os.WriteFile(in, bombPNG(100000, 100000), 0o644)
	res, _, took := isolated(t, Job{Op: OpThumb, Name: "bomb.png", Size: ThumbSize}, in, Limits{Timeout: 20 * time.Second})
	if res.Status != "none" || !strings.Contains(res.Reason, "too large") {
		t.Fatalf("bomb: %+v, want none (too large)", res)
	}
	if took > 10*time.Second {
		t.Errorf("bomb took %s", took)
	}
}

// TestCSVWindows1252: a CSV saved by Excel in France (Windows-1252, ";")
// reads as a table with its accents.
func TestCSVWindows1252(t *testing.T) {
	text := "Nom;Ville;Montant\r\nHélène Dupré;Orléans;12,50 €\r\n\"Bœuf; épicé\";Besançon;3\r\n"
	enc, err := charmap.Windows1252.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "dons.csv")
	os.WriteFile(in, []byte(enc), 0o644)
	out := in + ".json"
	if _, err := Render(context.Background(), Job{Op: OpTable, Name: "dons.csv", Mime: "text/csv"}, in, out, Limits{}); err != nil {
		t.Fatal(err)
	}
	tb := readTable(t, out)
	if tb.Charset != "windows-1252" || tb.Delimiter != ";" {
		t.Errorf("charset %q delimiter %q", tb.Charset, tb.Delimiter)
	}
	rows := tb.Sheets[0].Rows
	if len(rows) != 3 || rows[1][0] != "Hélène Dupré" || rows[1][1] != "Orléans" || rows[1][2] != "12,50 €" || rows[2][0] != "Bœuf; épicé" {
		t.Fatalf("rows: %q", rows)
	}
}

// TestCSVLimits: a long CSV shows its first MaxRows rows and counts all.
func TestCSVLimits(t *testing.T) {
	var b strings.Builder
	for i := range 12000 {
		b.WriteString("ligne,")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString("\n")
	}
	in := filepath.Join(t.TempDir(), "long.csv")
	os.WriteFile(in, []byte(b.String()), 0o644)
	out := in + ".json"
	if _, err := Render(context.Background(), Job{Op: OpTable, Name: "long.csv"}, in, out, Limits{}); err != nil {
		t.Fatal(err)
	}
	sh := readTable(t, out).Sheets[0]
	if len(sh.Rows) != MaxRows || sh.TotalRows != 12000 {
		t.Fatalf("rows shown %d, total %d", len(sh.Rows), sh.TotalRows)
	}
}

func readTable(t *testing.T, name string) Table {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var tb Table
	if err := json.Unmarshal(b, &tb); err != nil {
		t.Fatal(err)
	}
	return tb
}

// soffice converts a text file written by the test into another format
// with the real LibreOffice.
func soffice(t *testing.T, name, content, to string) string {
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
	ext := to
	if i := strings.IndexByte(to, ':'); i >= 0 {
		ext = to[:i]
	}
	return filepath.Join(dir, strings.TrimSuffix(name, filepath.Ext(name))+"."+ext)
}

// TestOfficeAndPDF: a DOCX made by LibreOffice becomes a PDF (isolated
// child), whose first page becomes a thumbnail and whose pages become
// images; an ODS reads as a table.
func TestOfficeAndPDF(t *testing.T) {
	tier.Tool(t, "pdftoppm", "poppler-utils")
	docx := soffice(t, "jardin.txt", "Fête du jardin\n\nLe samedi 14 juin, venez nombreux.\n", "docx")
	res, pdf, _ := isolated(t, Job{Op: OpPDF, Name: "jardin.docx"}, docx, Limits{Timeout: 60 * time.Second})
	if res.Status != "ok" || res.Pages != 1 {
		t.Fatalf("docx to pdf: %+v", res)
	}
	if b, _ := os.ReadFile(pdf); !bytes.HasPrefix(b, []byte("%PDF")) {
		t.Fatalf("not a PDF: %.20q", b)
	}
	res, thumb, _ := isolated(t, Job{Op: OpThumb, Name: "jardin.pdf", Mime: "application/pdf", Size: ThumbSize}, pdf, Limits{})
	if w, h := imageSize(thumb); res.Status != "ok" || h != ThumbSize || w < 200 || w > 250 {
		t.Fatalf("pdf thumbnail: %+v, %d×%d (want an A4 page 320 high)", res, w, h)
	}
	res, page, _ := isolated(t, Job{Op: OpPage, Name: "jardin.pdf", Size: PageWidth, Page: 1}, pdf, Limits{})
	if w, _ := imageSize(page); res.Status != "ok" || w != PageWidth || res.Mime != "image/png" {
		t.Fatalf("page image: %+v, width %d", res, w)
	}
	if res, _, _ := isolated(t, Job{Op: OpPage, Name: "jardin.pdf", Size: PageWidth, Page: 2}, pdf, Limits{}); res.Status != "none" {
		t.Fatalf("page 2 of 1: %+v", res)
	}

	ods := soffice(t, "budget.csv", "Poste,Montant\nLocation salle,350\nBuvette,120\n", "ods")
	out := filepath.Join(t.TempDir(), "t.json")
	if _, err := Render(context.Background(), Job{Op: OpTable, Name: "budget.ods"}, ods, out, Limits{}); err != nil {
		t.Fatal(err)
	}
	tb := readTable(t, out)
	if len(tb.Sheets) != 1 || tb.Sheets[0].TotalRows != 3 || tb.Sheets[0].Rows[1][0] != "Location salle" || tb.Sheets[0].Rows[2][1] != "120" {
		t.Fatalf("ods table: %+v", tb)
	}
}

// TestBrokenOffice: a corrupt DOCX and a LibreOffice that hangs both end
// as « no preview » (none or failed), the hang within the timeout.
func TestBrokenOffice(t *testing.T) {
	tier.Tool(t, "soffice", "libreoffice-writer-nogui")
	corrupt := filepath.Join(t.TempDir(), "rapport.docx")
	os.WriteFile(corrupt, append([]byte("PK\x03\x04"), bytes.Repeat([]byte{0xde, 0xad}, 3000)...), 0o644)
	res, _, _ := isolated(t, Job{Op: OpPDF, Name: "rapport.docx"}, corrupt, Limits{Timeout: 60 * time.Second})
	if res.Status == "ok" {
		t.Fatalf("corrupt docx converted: %+v", res)
	}

	// A fake soffice that never ends, first on PATH.
	bin := t.TempDir()
	os.WriteFile(filepath.Join(bin, "soffice"), []byte("#!/bin/sh\nsleep 600\n"), 0o755)
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	res, _, took := isolated(t, Job{Op: OpPDF, Name: "jardin.docx"}, corrupt, Limits{Timeout: 2 * time.Second})
	if res.Status != "failed" || !strings.Contains(res.Reason, "timeout") {
		t.Fatalf("hanging soffice: %+v", res)
	}
	if took > 2*time.Second+killGrace+3*time.Second {
		t.Errorf("hanging soffice took %s", took)
	}
}

// withOrientation inserts an Exif segment saying orientation o after the
// JPEG's start marker, as a phone writes it.
func withOrientation(jpg []byte, o uint16) []byte {
	tiffData := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, byte(o >> 8), byte(o), 0, 0, 0, 0, 0, 0}
	seg := append([]byte("Exif\x00\x00"), tiffData...)
	app1 := []byte{0xff, 0xe1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}
	out := append([]byte{}, jpg[:2]...)
	out = append(out, app1...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// TestPhoneOrientation: a photo stored sideways with EXIF orientation 6
// (what phones write for a portrait) gets an upright thumbnail.
func TestPhoneOrientation(t *testing.T) {
	tier.External(t, "the preview child process")
	in := writeImage(t, "portrait.jpg", func(b *bytes.Buffer) error {
		var raw bytes.Buffer
		if err := jpeg.Encode(&raw, gradient(1200, 800, false), nil); err != nil {
			return err
		}
		b.Write(withOrientation(raw.Bytes(), 6))
		return nil
	})
	res, out, _ := isolated(t, Job{Op: OpThumb, Name: "portrait.jpg", Size: ThumbSize}, in, Limits{})
	if w, h := imageSize(out); res.Status != "ok" || w != 213 || h != 320 {
		t.Fatalf("portrait thumbnail %+v %d×%d, want 213×320", res, w, h)
	}
}
