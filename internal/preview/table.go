package preview

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

// Table is the preview of a spreadsheet or CSV file: the first rows and
// columns of its first sheets, as text. The page escapes it when it
// renders it; nothing here is HTML.
type Table struct {
	Sheets      []Sheet `json:"sheets"`
	TotalSheets int     `json:"total_sheets"`
	Delimiter   string  `json:"delimiter,omitempty"` // CSV: the separator found
	Charset     string  `json:"charset,omitempty"`   // CSV: utf-8 or windows-1252
}

// Sheet is one sheet's first rows.
type Sheet struct {
	Name      string     `json:"name,omitempty"`
	Rows      [][]string `json:"rows"`
	TotalRows int        `json:"total_rows"` // rows with something in them, up to the last one
	TotalCols int        `json:"total_cols"` // widest row
}

// Table limits: what a page shows of a spreadsheet.
const (
	MaxRows      = 200
	MaxCols      = 30
	MaxSheets    = 3
	MaxCellChars = 300
	// maxScanRows bounds the rows counted for « 200 of N » (a sheet's
	// XML may claim a million rows).
	maxScanRows = 2_000_000
)

func table(in, out, mime, name string) (Result, error) {
	var t Table
	var err error
	switch tableFormat(mime, name) {
	case "csv", "tsv":
		t, err = csvTable(in)
	case "xlsx":
		t, err = xlsxTable(in)
	case "ods":
		t, err = odsTable(in)
	default:
		return Result{}, none("not a spreadsheet")
	}
	if err != nil {
		return Result{}, err
	}
	b, err := json.Marshal(t)
	if err != nil {
		return Result{}, err
	}
	if err := os.WriteFile(out, b, 0o600); err != nil {
		return Result{}, err
	}
	return Result{Mime: "application/json"}, nil
}

// sheetBuilder keeps the first rows of a sheet and counts the others.
type sheetBuilder struct {
	s       Sheet
	pending int // empty rows seen since the last row with content
}

func (b *sheetBuilder) add(cells []string) {
	for len(cells) > 0 && strings.TrimSpace(cells[len(cells)-1]) == "" {
		cells = cells[:len(cells)-1]
	}
	if len(cells) == 0 {
		b.pending++
		return
	}
	for ; b.pending > 0; b.pending-- {
		b.row(nil)
	}
	b.row(cells)
}

func (b *sheetBuilder) row(cells []string) {
	b.s.TotalRows++
	b.s.TotalCols = max(b.s.TotalCols, len(cells))
	if len(b.s.Rows) >= MaxRows {
		return
	}
	r := make([]string, 0, min(len(cells), MaxCols))
	for _, c := range cells[:min(len(cells), MaxCols)] {
		r = append(r, cut(c))
	}
	b.s.Rows = append(b.s.Rows, r)
}

func cut(s string) string {
	if utf8.RuneCountInString(s) <= MaxCellChars {
		return s
	}
	r := []rune(s)
	return string(r[:MaxCellChars]) + "…"
}

// csvTable reads a CSV file whose charset (UTF-8, else Windows-1252, what
// Excel writes in France) and delimiter (; , tab or |) it detects.
func csvTable(in string) (Table, error) {
	f, err := os.Open(in)
	if err != nil {
		return Table{}, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(64 << 10)
	t := Table{TotalSheets: 1, Charset: "utf-8"}
	var r io.Reader = br
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		br.Discard(3)
		head = head[3:]
	case !validUTF8Prefix(head):
		t.Charset = "windows-1252"
		r = charmap.Windows1252.NewDecoder().Reader(br)
		head, _ = charmap.Windows1252.NewDecoder().Bytes(head)
	}
	t.Delimiter = string(sniffDelimiter(head))
	cr := csv.NewReader(r)
	cr.Comma = rune(t.Delimiter[0])
	cr.LazyQuotes, cr.FieldsPerRecord, cr.ReuseRecord = true, -1, true
	var b sheetBuilder
	for b.s.TotalRows < maxScanRows {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) && len(rec) == 0 {
			return Table{}, none("unreadable CSV: %v", err)
		}
		if err != nil && !errors.As(err, &perr) {
			return Table{}, err
		}
		b.add(rec)
	}
	t.Sheets = []Sheet{b.s}
	return t, nil
}

// validUTF8Prefix is utf8.Valid allowing a character cut at the end.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return true
		}
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

// sniffDelimiter picks the separator that appears the same number of
// times, and at least once, on most of the first lines (outside quotes).
func sniffDelimiter(head []byte) byte {
	lines := strings.Split(string(head), "\n")
	if len(lines) > 1 {
		lines = lines[:len(lines)-1] // the last may be cut
	}
	lines = lines[:min(len(lines), 30)]
	best, bestScore := byte(','), 0
	for _, d := range []byte{';', ',', '\t', '|'} {
		counts := map[int]int{}
		for _, l := range lines {
			n, quoted := 0, false
			for i := 0; i < len(l); i++ {
				switch {
				case l[i] == '"':
					quoted = !quoted
				case l[i] == d && !quoted:
					n++
				}
			}
			if n > 0 {
				counts[n]++
			}
		}
		score := 0
		for n, c := range counts {
			score = max(score, c*1000+n) // lines that agree first, then more columns
		}
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}

// xlsxTable reads the first sheets of an XLSX file with excelize, row by
// row (its row iterator streams the sheet's XML).
func xlsxTable(in string) (t Table, err error) {
	f, err := excelize.OpenFile(in, excelize.Options{UnzipSizeLimit: 1 << 30, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return Table{}, none("unreadable spreadsheet: %v", err)
	}
	defer f.Close()
	names := f.GetSheetList()
	t.TotalSheets = len(names)
	for _, name := range names[:min(len(names), MaxSheets)] {
		rows, err := f.Rows(name)
		if err != nil {
			return Table{}, none("unreadable sheet %q: %v", name, err)
		}
		b := sheetBuilder{s: Sheet{Name: name}}
		for rows.Next() && b.s.TotalRows < maxScanRows {
			cells, err := rows.Columns()
			if err != nil {
				rows.Close()
				return Table{}, none("unreadable sheet %q: %v", name, err)
			}
			b.add(cells)
		}
		rows.Close()
		if b.s.Rows == nil {
			b.s.Rows = [][]string{}
		}
		t.Sheets = append(t.Sheets, b.s)
	}
	if len(t.Sheets) == 0 {
		return Table{}, none("the spreadsheet has no sheet")
	}
	return t, nil
}
