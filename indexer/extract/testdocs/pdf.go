package testdocs

// A minimal PDF writer: Helvetica text pages with correct xref offsets,
// scans (one image per page), and the hostile variants in hostile.go.

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
)

// PDFObjects serialises objects 1..n (objs[0] is object 1) with an xref
// table and a trailer whose /Root is object 1. trailerExtra, if not nil,
// gets the xref's offset and returns more trailer entries (to point /Prev
// at it); xrefStart, if not 0, forges the first object number of the xref
// subsection.
func PDFObjects(objs []string, trailerExtra func(xrefOffset int) string, xrefStart int) []byte {
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

// pdfString encodes text as a PDF literal string in the test font's
// encoding: Windows-1252, with the fi and fl ligatures at codes 128 and
// 129 through the font's /Differences.
func pdfString(text string) (string, error) {
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
			var err error
			if raw, err = CP1252(string(r)); err != nil {
				return "", err
			}
		}
		for _, c := range raw {
			if c == '(' || c == ')' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
	}
	b.WriteByte(')')
	return b.String(), nil
}

func pdfStream(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

const fontDict = `<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [128 /fi /fl] >> >>`

// pageContent draws lines of 12 pt text from the top of an A4 page. Words
// are laid out with TJ and kerning gaps the way word processors do, so
// extraction must rebuild the spaces from positions.
func pageContent(lines []string) ([]byte, error) {
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
				s, err := pdfString(w)
				if err != nil {
					return nil, err
				}
				c.WriteString(s)
			}
			c.WriteString("] TJ\n")
			continue
		}
		s, err := pdfString(line)
		if err != nil {
			return nil, err
		}
		c.WriteString(s + " Tj\n")
	}
	c.WriteString("ET\n")
	return []byte(c.String()), nil
}

// PDFOptions forges the hostile variants of PDFPages.
type PDFOptions struct {
	PrevLoop   bool  // trailer /Prev points at its own xref table
	KidsCycle  bool  // the root /Pages lists itself among its /Kids
	Count      int64 // forged /Count of the root /Pages (0: the real one)
	XrefStart  int   // forged first object number of the xref subsection
	Compressed bool  // FlateDecode content streams
}

// PDF is a text PDF with one A4 page per argument, each page's lines
// separated by "\n", in 12 pt Helvetica (Windows-1252 text).
func PDF(pages ...string) ([]byte, error) {
	lines := make([][]string, len(pages))
	for i, p := range pages {
		lines[i] = strings.Split(p, "\n")
	}
	return PDFPages(lines, PDFOptions{})
}

// PDFPages builds a PDF with one page per element of pages, each a list
// of lines.
func PDFPages(pages [][]string, opt PDFOptions) ([]byte, error) {
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", "", fontDict}
	var kids []string
	if opt.KidsCycle {
		kids = append(kids, "2 0 R")
	}
	for _, lines := range pages {
		pageObj := len(objs) + 1
		kids = append(kids, fmt.Sprintf("%d 0 R", pageObj))
		content, err := pageContent(lines)
		if err != nil {
			return nil, err
		}
		dict := ""
		if opt.Compressed {
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
	if opt.Count != 0 {
		count = opt.Count
	}
	objs[1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), count)
	var extra func(int) string
	if opt.PrevLoop {
		extra = func(xref int) string { return fmt.Sprintf("/Prev %d ", xref) }
	}
	return PDFObjects(objs, extra, opt.XrefStart), nil
}

// FrenchPages is the text of a multi-page French PDF: the first page says
// "Le <Phrase> du 3 juin / est approuvé par les membres présents. / Bilan
// ﬁnancier et ﬂux de trésorerie." (with ligatures), the others are an
// activity report.
func FrenchPages(n int) [][]string {
	pages := [][]string{{
		"Le " + Phrase + " du 3 juin",
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

// ImagePDF is a one-page PDF of pageW×pageH points whose only content is
// a grayscale image covering the page (a scan, for OCR): w×h 8-bit samples.
func ImagePDF(pageW, pageH, w, h int, gray []byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(gray)
	zw.Close()
	content := fmt.Sprintf("q %d 0 0 %d 0 0 cm /Im1 Do Q", pageW, pageH)
	return PDFObjects([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>", pageW, pageH),
		pdfStream("", []byte(content)),
		pdfStream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", w, h), z.Bytes()),
	}, nil, 0)
}

// BannerPDF is one w×h-point page with a line of 24 pt text, to be
// rendered for OCR.
func BannerPDF(w, h int, text string) ([]byte, error) {
	s, err := pdfString(text)
	if err != nil {
		return nil, err
	}
	content := fmt.Sprintf("BT /F1 24 Tf 20 %d Td %s Tj ET", h/2-8, s)
	return PDFObjects([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
		fontDict,
		fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>", w, h),
		pdfStream("", []byte(content)),
	}, nil, 0), nil
}

// LayoutPDF exercises the Go engine's positioning: words cut into chunks
// placed exactly at the previous chunk's end (no space), real gaps (a
// space: "l'assemblée" ends at x=127, the next word starts at 131), a new
// baseline from Tm (a newline), and text drawn by a Form XObject. Its font
// has /Widths: every glyph 500/1000 em. Its text is "Le procès-verbal
// de\nl'assemblée générale\nTexte du formulaire\n".
func LayoutPDF() ([]byte, error) {
	widths := strings.TrimSpace(strings.Repeat("500 ", 224))
	font := `<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding /FirstChar 32 /LastChar 255 /Widths [` + widths + `] >>`
	var s [6]string
	for i, text := range []string{"Le proc", "ès-verbal", "de", "l'assemblée", "générale", "Texte du formulaire"} {
		var err error
		if s[i], err = pdfString(text); err != nil {
			return nil, err
		}
	}
	// At 10 pt a glyph advances 5 units: "proc" ends 20 units on.
	content := "BT /F1 10 Tf 1 0 0 1 72 700 Tm " + s[0] + " Tj 35 0 Td " + s[1] +
		" Tj 60 0 Td " + s[2] + " Tj ET\n" +
		"BT /F1 10 Tf 1 0 0 1 72 680 Tm " + s[3] + " Tj 1 0 0 1 131 680 Tm " + s[4] + " Tj ET\n" +
		"/Fm1 Do\n"
	form := "BT /F1 10 Tf 72 650 Td " + s[5] + " Tj ET"
	return PDFObjects([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
		font,
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> /XObject << /Fm1 6 0 R >> >> /Contents 5 0 R >>",
		pdfStream("", []byte(content)),
		pdfStream("/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >>", []byte(form)),
	}, nil, 0), nil
}
