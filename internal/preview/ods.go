package preview

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
)

// maxODSContent bounds the decompressed content.xml read (a zip bomb ends
// there rather than at the memory limit).
const maxODSContent = 512 << 20

// odsTable reads the first sheets of an OpenDocument spreadsheet: a
// streaming pass over content.xml, expanding repeated cells and rows only
// as far as the limits need (LibreOffice writes a million repeated empty
// rows at the end of a sheet).
func odsTable(in string) (Table, error) {
	zr, err := zip.OpenReader(in)
	if err != nil {
		return Table{}, none("unreadable spreadsheet: %v", err)
	}
	defer zr.Close()
	var content *zip.File
	for _, f := range zr.File {
		if f.Name == "content.xml" {
			content = f
		}
	}
	if content == nil {
		return Table{}, none("unreadable spreadsheet: no content.xml")
	}
	rc, err := content.Open()
	if err != nil {
		return Table{}, none("unreadable spreadsheet: %v", err)
	}
	defer rc.Close()
	d := xml.NewDecoder(io.LimitReader(rc, maxODSContent))
	var (
		t       Table
		sheet   *sheetBuilder
		row     []string
		rowRep  int
		cellRep int
		inCell  bool
		text    strings.Builder
		paras   int
	)
	repeat := func(e xml.StartElement, name string) int {
		for _, a := range e.Attr {
			if a.Name.Local == name {
				if n, err := strconv.Atoi(a.Value); err == nil && n > 0 {
					return n
				}
			}
		}
		return 1
	}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Table{}, none("unreadable spreadsheet: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			switch e.Name.Local {
			case "table":
				if e.Name.Space != "urn:oasis:names:tc:opendocument:xmlns:table:1.0" {
					continue
				}
				t.TotalSheets++
				if len(t.Sheets) < MaxSheets {
					name := ""
					for _, a := range e.Attr {
						if a.Name.Local == "name" {
							name = a.Value
						}
					}
					sheet = &sheetBuilder{s: Sheet{Name: name, Rows: [][]string{}}}
				}
			case "table-row":
				row, rowRep = row[:0], repeat(e, "number-rows-repeated")
			case "table-cell", "covered-table-cell":
				inCell, cellRep, paras = true, repeat(e, "number-columns-repeated"), 0
				text.Reset()
			case "p":
				if inCell && paras > 0 {
					text.WriteByte('\n')
				}
				paras++
			case "s":
				if inCell {
					text.WriteString(strings.Repeat(" ", min(repeat(e, "c"), 100)))
				}
			case "tab":
				if inCell {
					text.WriteByte('\t')
				}
			}
		case xml.CharData:
			if inCell && paras > 0 && text.Len() < 4*MaxCellChars {
				text.Write(e)
			}
		case xml.EndElement:
			switch e.Name.Local {
			case "table-cell", "covered-table-cell":
				inCell = false
				v := text.String()
				// Repeated cells: only as many as a row can show, and none
				// at all when empty and trailing (see sheetBuilder.add).
				for i := 0; i < cellRep && len(row) < MaxCols+1; i++ {
					row = append(row, v)
				}
			case "table-row":
				if sheet != nil {
					for i := 0; i < rowRep && sheet.s.TotalRows < maxScanRows; i++ {
						sheet.add(row)
						if len(strings.Join(row, "")) == 0 && rowRep > 1 {
							sheet.pending += rowRep - 1 - i
							break
						}
					}
				}
			case "table":
				if sheet != nil {
					t.Sheets = append(t.Sheets, sheet.s)
					sheet = nil
				}
			}
		}
	}
	if len(t.Sheets) == 0 {
		return Table{}, none("the spreadsheet has no sheet")
	}
	return t, nil
}
