package extract

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// extractXLSX writes each worksheet in workbook order: its name, then one
// line per row with cells separated by tabs. Shared strings (t="s") are
// looked up by index; formulas are skipped, their cached values kept.
func extractXLSX(j *job) error {
	z, err := openZip(j)
	if err != nil {
		return err
	}
	wb, err := mainPart(z, "xl/workbook.xml")
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	rels, err := z.rels(wb)
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	sheetByID := map[string]string{}
	var shared []string
	for _, r := range rels {
		switch {
		case r.kind == "worksheet":
			sheetByID[r.id] = r.target
		case r.kind == "sharedStrings" && z.has(r.target):
			if shared, err = sharedStrings(z, r.target); err != nil {
				return fmt.Errorf("xlsx: %w", err)
			}
		}
	}
	type sheet struct{ name, part string }
	var sheets []sheet
	err = z.walkXML(wb, func(_ *xml.Decoder, tok xml.Token) error {
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "sheet" {
			for _, a := range se.Attr {
				if a.Name.Space == relNS && a.Name.Local == "id" && z.has(sheetByID[a.Value]) {
					sheets = append(sheets, sheet{attr(se, "name"), sheetByID[a.Value]})
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	for _, s := range sheets {
		if err := j.out.WriteString(s.name); err != nil {
			return err
		}
		if err := j.out.Break(); err != nil {
			return err
		}
		if err := sheetText(z, s.part, shared); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
	}
	return nil
}

// maxSharedStrings bounds the shared string table's slice headers
// (16 bytes each): 4M strings is 64 MiB.
const maxSharedStrings = 4 << 20

// sharedStrings loads the shared string table, which must be held for
// random access. Its text is bounded by MaxTextBytes and its length by
// maxSharedStrings: strings past either limit read as empty, since a
// workbook that large is truncated anyway.
func sharedStrings(z *zipDoc, part string) ([]string, error) {
	budget := max(z.j.lim.MaxTextBytes, 1<<20)
	var (
		table []string
		cur   strings.Builder
		inT   bool
	)
	err := z.walkXML(part, func(dec *xml.Decoder, tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "rPh", "phoneticPr": // phonetic guides repeat the text in kana
				return dec.Skip()
			case "si":
				cur.Reset()
			case "t":
				inT = true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inT = false
			case "si":
				if len(table) < maxSharedStrings {
					budget -= int64(cur.Len())
					table = append(table, cur.String())
				}
			}
		case xml.CharData:
			if inT && int64(cur.Len()+len(t)) <= budget {
				cur.Write(t)
			}
		}
		return nil
	})
	return table, err
}

// sheetText writes one worksheet, a line per row.
func sheetText(z *zipDoc, part string, shared []string) error {
	out := z.j.out
	var (
		cellType  string
		value     strings.Builder
		inValue   bool
		cellsDone int // non-empty cells written in this row
	)
	maxCell := z.j.lim.MaxTextBytes
	return z.walkXML(part, func(dec *xml.Decoder, tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "c":
				cellType = attr(t, "t")
				value.Reset()
			case "v", "t":
				inValue = true
			case "f", "rPh":
				return dec.Skip()
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v", "t":
				inValue = false
			case "c":
				text := cellText(cellType, value.String(), shared)
				if text == "" {
					return nil
				}
				if cellsDone > 0 {
					if err := out.WriteString("\t"); err != nil {
						return err
					}
				}
				cellsDone++
				return out.WriteString(text)
			case "row":
				cellsDone = 0
				return out.Break()
			}
		case xml.CharData:
			if inValue && int64(value.Len()) < maxCell {
				value.Write(t)
			}
		}
		return nil
	})
}

// cellText turns a cell's raw value into text according to its type.
func cellText(cellType, raw string, shared []string) string {
	switch cellType {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil || i < 0 || i >= len(shared) {
			return ""
		}
		return shared[i]
	case "b", "e": // booleans and error codes carry no searchable text
		return ""
	}
	return raw // numbers, inline strings, formula strings, ISO dates
}
