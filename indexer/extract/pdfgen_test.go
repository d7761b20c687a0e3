package extract

// A minimal PDF writer for the tests: Helvetica text pages with correct
// xref offsets, and the hostile variants the isolation must survive.

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
	"testing"
)

// pdfObjects serialises objects 1..n (objs[0] is object 1) with an xref
// table and a trailer. trailerExtra gets the xref's offset so a test can
// point /Prev at it; xrefStart lets a test forge the subsection start.
func pdfObjects(objs []string, trailerExtra func(xrefOffset int) string, xrefStart int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, body := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, body)
	}
	xref := b.Len()
	if xrefStart == 0 {
		fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	} else {
		fmt.Fprintf(&b, "xref\n0 1\n0000000000 65535 f \n%d %d\n", xrefStart, len(objs))
	}
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	extra := ""
	if trailerExtra != nil {
		extra = trailerExtra(xref)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, extra, xref)
	return b.Bytes()
}

// pdfString encodes text as a PDF literal string in the font's encoding:
// Windows-1252, with the fi and fl ligatures at codes 128 and 129 through
// the font's /Differences.
func pdfString(t testing.TB, text string) string {
	var b strings.Builder
	b.WriteByte('(')
	for _, r := range text {
		var raw []byte
		switch r {
		case 'ﬁ':
			raw = []byte{128}
		case 'ﬂ':
			raw = []byte{129}
		default:
			raw = cp1252(t, string(r))
		}
		for _, c := range raw {
			if c == '(' || c == ')' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
	}
	b.WriteByte(')')
	return b.String()
}

func pdfStream(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

const testFontDict = `<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [128 /fi /fl] >> >>`

// pdfPageContent draws lines of 12 pt text from the top of an A4 page.
// Words are laid out with TJ and kerning gaps the way word processors
// do, so extraction must rebuild the spaces from positions.
func pdfPageContent(t testing.TB, lines []string) []byte {
	var c strings.Builder
	c.WriteString("BT /F1 12 Tf 14 TL 72 770 Td\n")
	for i, line := range lines {
		if i > 0 {
			c.WriteString("T*\n")
		}
		if i%2 == 1 { // odd lines: one TJ with a word gap per space
			c.WriteString("[")
			for k, w := range strings.Split(line, " ") {
				if k > 0 {
					c.WriteString(" -278 ")
				}
				c.WriteString(pdfString(t, w))
			}
			c.WriteString("] TJ\n")
			continue
		}
		c.WriteString(pdfString(t, line) + " Tj\n")
	}
	c.WriteString("ET\n")
	return []byte(c.String())
}

// pdfOptions forges the hostile variants.
type pdfOptions struct {
	prevLoop   bool  // trailer /Prev points at its own xref table
	kidsCycle  bool  // the root /Pages lists itself among its /Kids
	count      int64 // forged /Count of the root /Pages (0: the real one)
	xrefStart  int   // forged first object number of the xref subsection
	compressed bool  // FlateDecode content streams
}

// textPDF builds a PDF with one page per element of pages.
func textPDF(t testing.TB, pages [][]string, opt pdfOptions) []byte {
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", "", testFontDict}
	var kids []string
	if opt.kidsCycle {
		kids = append(kids, "2 0 R")
	}
	for _, lines := range pages {
		pageObj := len(objs) + 1
		kids = append(kids, fmt.Sprintf("%d 0 R", pageObj))
		content := pdfPageContent(t, lines)
		dict := ""
		if opt.compressed {
			var z bytes.Buffer
			zw := zlib.NewWriter(&z)
			zw.Write(content)
			zw.Close()
			content, dict = z.Bytes(), "/Filter /FlateDecode"
		}
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", pageObj+1),
			pdfStream(dict, content))
	}
	count := int64(len(pages))
	if opt.count != 0 {
		count = opt.count
	}
	objs[1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), count)
	var extra func(int) string
	if opt.prevLoop {
		extra = func(xref int) string { return fmt.Sprintf("/Prev %d ", xref) }
	}
	return pdfObjects(objs, extra, opt.xrefStart)
}

// imagePDF builds a one-page PDF of pageW×pageH points whose only content
// is a grayscale image covering the page (a scan, for OCR): w×h 8-bit
// samples.
func imagePDF(pageW, pageH, w, h int, gray []byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(gray)
	zw.Close()
	content := fmt.Sprintf("q %d 0 0 %d 0 0 cm /Im1 Do Q", pageW, pageH)
	return pdfObjects([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>", pageW, pageH),
		pdfStream("", []byte(content)),
		pdfStream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", w, h), z.Bytes()),
	}, nil, 0)
}

// bannerPDF is one small page with a line of 24 pt text, to be rendered
// for the OCR tests.
func bannerPDF(t testing.TB, w, h int, text string) []byte {
	content := fmt.Sprintf("BT /F1 24 Tf 20 %d Td %s Tj ET", h/2-8, pdfString(t, text))
	return pdfObjects([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
		testFontDict,
		fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>", w, h),
		pdfStream("", []byte(content)),
	}, nil, 0)
}

// frenchPages is the text of the multi-page test PDF.
func frenchPages(n int) [][]string {
	pages := [][]string{{
		"Le " + phrase + " du 3 juin",
		"est approuvé par les membres présents.",
		"Bilan ﬁnancier et ﬂux de trésorerie.",
	}}
	for i := 2; i <= n; i++ {
		pages = append(pages, []string{
			fmt.Sprintf("Page %d : rapport d'activité de l'année écoulée", i),
			"Les bénévoles ont organisé des ateliers pour les enfants du quartier.",
			"La trésorière présente les comptes et le budget prévisionnel.",
			"Questions diverses : local, assurance, cotisations.",
		})
	}
	return pages
}

// layoutPDF exercises the Go engine's positioning: words cut into chunks
// placed exactly at the previous chunk's end (no space), real gaps (a
// space: "l'assemblée" ends at x=127, the next word starts at 131), a new
// baseline from Tm (a newline), and text drawn by a Form XObject. Its font
// has /Widths: every glyph 500/1000 em.
func layoutPDF(t testing.TB) []byte {
	widths := strings.TrimSpace(strings.Repeat("500 ", 224))
	font := `<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding /FirstChar 32 /LastChar 255 /Widths [` + widths + `] >>`
	// At 10 pt a glyph advances 5 units: "proc" ends 20 units on.
	content := "BT /F1 10 Tf 1 0 0 1 72 700 Tm " + pdfString(t, "Le proc") + " Tj 35 0 Td " + pdfString(t, "ès-verbal") +
		" Tj 60 0 Td " + pdfString(t, "de") + " Tj ET\n" +
		"BT /F1 10 Tf 1 0 0 1 72 680 Tm " + pdfString(t, "l'assemblée") + " Tj 1 0 0 1 131 680 Tm " + pdfString(t, "générale") + " Tj ET\n" +
		"/Fm1 Do\n"
	form := "BT /F1 10 Tf 72 650 Td " + pdfString(t, "Texte du formulaire") + " Tj ET"
	return pdfObjects([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
		font,
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> /XObject << /Fm1 6 0 R >> >> /Contents 5 0 R >>",
		pdfStream("", []byte(content)),
		pdfStream("/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >>", []byte(form)),
	}, nil, 0)
}
