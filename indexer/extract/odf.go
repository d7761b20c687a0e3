package extract

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// extractODF writes the text of an OpenDocument text, spreadsheet or
// presentation from its content.xml: paragraphs and headings one per line,
// table cells separated by tabs and rows by newlines, slides in order.
// Styles (headers and footers of ODT pages) are not read; meta.xml gives
// the title and date (props.go).
func extractODF(j *job) error {
	z, err := openZip(j)
	if err != nil {
		return err
	}
	odfProps(z)
	if !z.has("content.xml") {
		return fmt.Errorf("odf: content.xml not found in archive")
	}
	if err := odfText(z, "content.xml"); err != nil {
		return fmt.Errorf("odf: %w", err)
	}
	return nil
}

// maxODFSpaces caps the spaces written for one text:s, whose count is
// attacker-chosen.
const maxODFSpaces = 8

func odfText(z *zipDoc, part string) error {
	out := z.j.out
	var (
		inPara     int  // depth of text:p / text:h
		inCell     int  // depth of table cells
		cellSep    bool // a cell with text ended: the next text needs a tab
		cellText   bool // the current cell has text
		sheetNames bool // office:spreadsheet: name each sheet
		inHeading  bool // the first level-1 heading (heading.go)
	)
	write := func(s string) error {
		if inCell > 0 {
			if cellSep {
				cellSep = false
				if err := out.WriteString("\t"); err != nil {
					return err
				}
			}
			cellText = true
		}
		if inHeading {
			z.j.heading.add(s)
		}
		return out.WriteString(s)
	}
	return z.walkXML(part, func(dec *xml.Decoder, tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "tracked-changes": // deleted text kept for change tracking
				return dec.Skip()
			case "spreadsheet":
				sheetNames = true
			case "table":
				if sheetNames {
					if err := out.WriteString(attr(t, "name")); err != nil {
						return err
					}
					return out.Break()
				}
			case "table-cell", "covered-table-cell":
				inCell++
				cellText = false
			case "p", "h":
				if t.Name.Local == "h" && inCell == 0 && attr(t, "outline-level") <= "1" && !inHeading {
					inHeading = z.j.heading.start()
				}
				if inCell > 0 && inPara == 0 && cellText {
					if err := out.Space(); err != nil { // several paragraphs in one cell
						return err
					}
				}
				inPara++
			case "s":
				n, err := strconv.Atoi(attr(t, "c"))
				if err != nil || n < 1 {
					n = 1
				}
				return write(strings.Repeat(" ", min(n, maxODFSpaces)))
			case "tab":
				return write("\t")
			case "line-break":
				return write("\n")
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "p", "h":
				inPara--
				if t.Name.Local == "h" && inHeading {
					inHeading = false
					z.j.heading.end()
				}
				if inCell == 0 {
					return out.Break()
				}
			case "table-cell", "covered-table-cell":
				inCell--
				cellSep = cellSep || cellText
				cellText = false
			case "table-row":
				cellSep = false
				return out.Break()
			case "page":
				return out.Break()
			}
		case xml.CharData:
			if inPara > 0 {
				return write(string(t))
			}
		}
		return nil
	})
}
