package extract

import (
	"encoding/xml"
	"errors"
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
	ooxmlProps(z)
	wb, err := mainPart(z, "xl/workbook.xml")
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	rels, err := z.rels(wb)
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	sheetByID := map[string]string{}
	shared := &sharedTable{}
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

// maxSharedStrings bounds the shared string table's entries (4 bytes
// each in sharedTable): 1M entries is 4 MiB. Entries past it read as empty.
const maxSharedStrings = 1 << 20

// sharedTable is the shared string table, which must be held for random
// access, stored compactly: every string in one buffer, and where each
// ends. A slice of Go strings cost 16 bytes of header plus an allocation
// per entry: a 9 MB table of short strings took the server to 353 MB.
type sharedTable struct {
	text []byte
	ends []uint32
}

func (t *sharedTable) len() int { return len(t.ends) }

func (t *sharedTable) get(i int) string {
	if i < 0 || i >= len(t.ends) {
		return ""
	}
	start := uint32(0)
	if i > 0 {
		start = t.ends[i-1]
	}
	return string(t.text[start:t.ends[i]])
}

// sharedStrings loads the shared string table. Its text is bounded by
// MaxTextBytes and its length by maxSharedStrings: strings past either
// limit read as empty, since a workbook that large is truncated anyway.
// Once both budgets are spent the rest of the part is not parsed.
func sharedStrings(z *zipDoc, part string) (*sharedTable, error) {
	budget := max(z.j.lim.MaxTextBytes, 1<<20)
	table := &sharedTable{}
	var (
		inT  bool
		full = errors.New("shared strings: budget spent")
	)
	err := z.walkXML(part, func(dec *xml.Decoder, tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "rPh", "phoneticPr": // phonetic guides repeat the text in kana
				return dec.Skip()
			case "t":
				inT = true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inT = false
			case "si":
				if table.len() == maxSharedStrings {
					return full
				}
				table.ends = append(table.ends, uint32(len(table.text)))
			}
		case xml.CharData:
			if inT && int64(len(table.text)+len(t)) <= budget {
				table.text = append(table.text, t...)
			}
		}
		return nil
	})
	if errors.Is(err, full) {
		err = nil
	}
	return table, err
}

// sheetText writes one worksheet, a line per row.
func sheetText(z *zipDoc, part string, shared *sharedTable) error {
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
func cellText(cellType, raw string, shared *sharedTable) string {
	switch cellType {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			return ""
		}
		return shared.get(i)
	case "b", "e": // booleans and error codes carry no searchable text
		return ""
	}
	return raw // numbers, inline strings, formula strings, ISO dates
}
