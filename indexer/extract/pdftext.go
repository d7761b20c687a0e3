package extract

import (
	"fmt"
	"math"
	"strings"

	"github.com/ledongthuc/pdf"
)

// Limits of the content interpretation of one page: Form XObjects may
// nest and be drawn many times, and each draw is interpreted again.
const (
	maxFormDepth   = 8
	maxFormDraws   = 1000
	pageFlushBytes = 64 << 10 // page text buffered before it is written
	maxCIDWidths   = 1 << 16
)

// pageText interprets one page's content stream, and the Form XObjects it
// draws, and writes its text. Spaces and line breaks are rebuilt from the
// pen position, which ledongthuc's own GetPlainText ignores: a jump to
// another baseline is a newline, a horizontal gap wider than 0.15 em a
// space. The pen advances by the glyph widths of the font (/Widths, or /W
// of a CID font); when a font has no widths (the standard 14 fonts often
// do not), every horizontal move counts as a space.
func pageText(p pdf.Page, out *sink) (err error) {
	t := &pageInterpreter{out: out}
	defer func() {
		if r := recover(); r != nil {
			if t.failed != nil {
				err = t.failed
			} else {
				err = fmt.Errorf("page content: %v", r)
			}
		}
	}()
	if contents := p.V.Key("Contents"); !contents.IsNull() {
		t.run(contents, p.Resources(), 0)
	}
	return out.WriteString(strings.TrimRight(t.text.String(), " "))
}

type pageInterpreter struct {
	out    *sink
	text   strings.Builder
	failed error // from the sink: stops the interpretation by panicking
	draws  int

	font         *pdfFont
	size, scale  float64 // font size (Tf) and text matrix scale (Tm)
	leading      float64
	lineX, lineY float64 // start of the current line (Td, T*)
	x, y         float64 // pen position
	shown        bool    // some text was shown on this page
	endX, endY   float64 // pen position after the last text shown
	moved        bool    // a positioning operator since the last text
}

// run interprets a content stream (the page's or a form's) with its
// resources.
func (t *pageInterpreter) run(stream, resources pdf.Value, depth int) {
	fonts := map[string]*pdfFont{}
	pdf.Interpret(stream, func(stk *pdf.Stack, op string) {
		args := make([]pdf.Value, stk.Len())
		for i := len(args) - 1; i >= 0; i-- {
			args[i] = stk.Pop()
		}
		num := func(i int) float64 {
			if i < len(args) {
				return args[i].Float64()
			}
			return 0
		}
		switch op {
		case "BT":
			t.x, t.y, t.lineX, t.lineY, t.scale = 0, 0, 0, 0, 1
		case "Tf":
			if len(args) == 2 {
				name := args[0].Name()
				if fonts[name] == nil {
					fonts[name] = newPDFFont(pdf.Font{V: resources.Key("Font").Key(name)})
				}
				t.font, t.size = fonts[name], args[1].Float64()
			}
		case "TL":
			t.leading = num(0)
		case "Tm":
			t.scale = max(math.Hypot(num(0), num(1)), 1e-3)
			t.moveTo(num(4), num(5))
		case "Td", "TD":
			if op == "TD" {
				t.leading = -num(1)
			}
			t.moveTo(t.lineX+num(0)*t.scale, t.lineY+num(1)*t.scale)
		case "T*":
			t.moveTo(t.lineX, t.lineY-t.leading*t.scale)
		case "Tj":
			if len(args) == 1 {
				t.show(args[0].RawString())
			}
		case "'", "\"":
			t.moveTo(t.lineX, t.lineY-t.leading*t.scale)
			if len(args) > 0 {
				t.show(args[len(args)-1].RawString())
			}
		case "TJ":
			if len(args) == 1 {
				for i := 0; i < args[0].Len(); i++ {
					switch x := args[0].Index(i); x.Kind() {
					case pdf.String:
						t.show(x.RawString())
					case pdf.Integer, pdf.Real:
						t.x -= x.Float64() / 1000 * t.size * t.scale
						t.moved = t.moved || x.Float64() < -200 // without widths, a wide gap is all we know
					}
				}
			}
		case "Do":
			if len(args) == 1 && depth < maxFormDepth {
				form := resources.Key("XObject").Key(args[0].Name())
				if form.Key("Subtype").Name() == "Form" && t.draws < maxFormDraws {
					t.draws++
					formResources := form.Key("Resources")
					if formResources.IsNull() {
						formResources = resources
					}
					t.run(form, formResources, depth+1)
				}
			}
		}
	})
}

func (t *pageInterpreter) moveTo(x, y float64) {
	t.lineX, t.lineY, t.x, t.y = x, y, x, y
	t.moved = true
}

// show writes a string's text, preceded by a newline or a space when the
// pen is on another line or away from where the last text ended.
func (t *pageInterpreter) show(raw string) {
	em := max(t.size*t.scale, 1)
	advance, known := 0.0, false
	if t.font != nil {
		advance, known = t.font.advance(raw)
	}
	if t.shown {
		gap := t.x - t.endX
		switch {
		case math.Abs(t.y-t.endY) > em/2:
			t.write("\n")
		case known && !math.IsNaN(gap) && (gap > 0.15*em || gap < -em):
			t.write(" ")
		case (!known || math.IsNaN(gap)) && t.moved:
			t.write(" ")
		}
	}
	text := raw
	if t.font != nil && t.font.enc != nil {
		text = t.font.enc.Decode(raw)
	}
	t.write(strings.ToValidUTF8(text, ""))
	t.x += advance / 1000 * t.size * t.scale
	t.endX, t.endY = t.x, t.y
	if !known {
		t.endX = math.NaN()
	}
	t.shown, t.moved = true, false
}

// write appends to the page text, without doubling separators, and
// flushes it to the sink in pieces.
func (t *pageInterpreter) write(s string) {
	if s == " " || s == "\n" {
		cur := t.text.String()
		if cur == "" || strings.HasSuffix(cur, "\n") || s == " " && strings.HasSuffix(cur, " ") {
			return
		}
		if s == "\n" && strings.HasSuffix(cur, " ") {
			t.text.Reset()
			t.text.WriteString(strings.TrimRight(cur, " "))
		}
	}
	t.text.WriteString(s)
	if t.text.Len() >= pageFlushBytes {
		t.failed = t.out.WriteString(t.text.String())
		t.text.Reset()
		if t.failed != nil {
			panic(t.failed) // stop the interpreter; recovered in pageText
		}
	}
}

// pdfFont is what text extraction needs of a font: its decoder and glyph
// widths (in 1/1000 em) by character code.
type pdfFont struct {
	enc      pdf.TextEncoding
	codeLen  int // bytes per character code: 2 for Type0 (CID) fonts
	first    int
	simple   []float64       // /Widths of a simple font, from /FirstChar
	cid      map[int]float64 // /W of a CID font
	fallback float64         // /DW, or /MissingWidth
	known    bool
}

func newPDFFont(f pdf.Font) *pdfFont {
	pf := &pdfFont{enc: f.Encoder(), codeLen: 1}
	if f.V.Key("Subtype").Name() == "Type0" {
		pf.codeLen, pf.known, pf.fallback = 2, true, 1000
		desc := f.V.Key("DescendantFonts").Index(0)
		if dw := desc.Key("DW"); dw.Kind() == pdf.Integer || dw.Kind() == pdf.Real {
			pf.fallback = dw.Float64()
		}
		pf.cid = cidWidths(desc.Key("W"))
		return pf
	}
	// Type 3 widths are in glyph space (see /FontMatrix), not 1/1000 em:
	// treated as unknown.
	if widths := f.V.Key("Widths"); widths.Kind() == pdf.Array && f.V.Key("Subtype").Name() != "Type3" {
		pf.known, pf.first = true, int(f.V.Key("FirstChar").Int64())
		pf.fallback = f.V.Key("FontDescriptor").Key("MissingWidth").Float64()
		for i := 0; i < widths.Len() && i < 256; i++ {
			pf.simple = append(pf.simple, widths.Index(i).Float64())
		}
	}
	return pf
}

// cidWidths reads a CID font's /W array: "c [w1 w2 ...]" gives widths
// from code c on, "c1 c2 w" one width for a range.
func cidWidths(w pdf.Value) map[int]float64 {
	widths := map[int]float64{}
	for i := 0; i+1 < w.Len() && len(widths) < maxCIDWidths; {
		c := int(w.Index(i).Int64())
		if next := w.Index(i + 1); next.Kind() == pdf.Array {
			for k := 0; k < next.Len() && len(widths) < maxCIDWidths; k++ {
				widths[c+k] = next.Index(k).Float64()
			}
			i += 2
			continue
		}
		last, width := int(w.Index(i+1).Int64()), w.Index(i+2).Float64()
		for code := c; code <= last && len(widths) < maxCIDWidths; code++ {
			widths[code] = width
		}
		i += 3
	}
	return widths
}

// advance returns the width of a string in 1/1000 em, if the font says.
func (f *pdfFont) advance(raw string) (float64, bool) {
	if !f.known {
		return 0, false
	}
	total := 0.0
	for i := 0; i+f.codeLen <= len(raw); i += f.codeLen {
		code := int(raw[i])
		if f.codeLen == 2 {
			code = code<<8 | int(raw[i+1])
		}
		w, ok := f.cid[code]
		if f.codeLen == 1 {
			ok = code >= f.first && code-f.first < len(f.simple)
			if ok {
				w = f.simple[code-f.first]
			}
		}
		if !ok {
			w = f.fallback
		}
		total += w
	}
	return total, true
}
