package extract

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
	"golang.org/x/text/unicode/norm"
)

// A document's own properties: its title and the date it was written,
// which the index ranks like the file name and uses for the year facet and
// the date sort (a 2025 report uploaded in 2026 belongs to 2025). Reading
// them never fails an extraction: a missing or unreadable property is
// simply absent.

// maxTitleRunes bounds a title: a property meant for one line.
const maxTitleRunes = 300

// setTitle keeps a cleaned title: whitespace collapsed, bounded, NFKC
// like the text. Generator defaults that say nothing are dropped.
func (r *Result) setTitle(s string) {
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "")), " ")
	if utf8.RuneCountInString(s) > maxTitleRunes {
		s = string([]rune(s)[:maxTitleRunes])
	}
	s = norm.NFKC.String(s)
	switch strings.ToLower(s) {
	case "", "untitled", "sans titre", "titre", "title", "microsoft word", "document":
		return
	}
	if strings.IndexFunc(s, unicode.IsLetter) < 0 && strings.IndexFunc(s, unicode.IsDigit) < 0 {
		return
	}
	r.Title = s
}

// setDate keeps a plausible date: not before 1980 (dates of 1601, 1904 or
// 0 are unset fields of some generators), not in the future by more than
// a day (a wrong clock).
func (r *Result) setDate(t time.Time) {
	if t.IsZero() || t.Year() < 1980 || t.After(time.Now().Add(24*time.Hour)) {
		return
	}
	r.Date = t.UTC()
}

// pdfProps reads the PDF's /Info dictionary: Title and CreationDate (else
// ModDate). pdfinfo (poppler) when the text came from pdftotext, since the
// Go parser can loop on files poppler reads fine; the Go parser otherwise.
func pdfProps(j *job) {
	if j.path != "" && !j.lim.NoExternalTools && pdfinfoPath() != "" {
		pdfPropsPoppler(j)
		return
	}
	defer func() { _ = recover() }() // malformed files: no properties
	doc, err := pdf.NewReader(j.r, j.size)
	if err != nil {
		return
	}
	info := doc.Trailer().Key("Info")
	if info.Kind() != pdf.Dict {
		return
	}
	j.res.setTitle(info.Key("Title").Text())
	for _, k := range []string{"CreationDate", "ModDate"} {
		if t, ok := parsePDFDate(info.Key(k).RawString()); ok {
			j.res.setDate(t)
			return
		}
	}
}

// pdfPropsPoppler runs `pdfinfo -isodates -enc UTF-8 FILE`.
func pdfPropsPoppler(j *job) {
	out, err := exec.CommandContext(j.ctx, pdfinfoPath(), "-isodates", "-enc", "UTF-8", j.path).Output()
	if err != nil {
		return
	}
	fields := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok {
			fields[k] = strings.TrimSpace(v)
		}
	}
	j.res.setTitle(fields["Title"])
	for _, k := range []string{"CreationDate", "ModDate"} {
		if t, ok := parseISODate(fields[k]); ok {
			j.res.setDate(t)
			return
		}
	}
}

// parsePDFDate reads a PDF date string, "D:YYYYMMDDHHmmSSOHH'mm'" where
// everything after the year is optional.
func parsePDFDate(s string) (time.Time, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "D:")
	digits := 0
	for digits < len(s) && digits < 14 && s[digits] >= '0' && s[digits] <= '9' {
		digits++
	}
	if digits < 4 {
		return time.Time{}, false
	}
	num := func(from, to, def int) int {
		if digits < to {
			return def
		}
		n, _ := strconv.Atoi(s[from:to])
		return n
	}
	loc := time.UTC
	if rest := s[digits:]; len(rest) >= 3 && (rest[0] == '+' || rest[0] == '-') {
		h, _ := strconv.Atoi(rest[1:3])
		m := 0
		if tail := strings.TrimLeft(rest[3:], "'"); len(tail) >= 2 {
			m, _ = strconv.Atoi(tail[:2])
		}
		off := h*3600 + m*60
		if rest[0] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	}
	mon, day := num(4, 6, 1), num(6, 8, 1)
	if mon < 1 || mon > 12 || day < 1 || day > 31 {
		return time.Time{}, false
	}
	return time.Date(num(0, 4, 0), time.Month(mon), day, num(8, 10, 0), num(10, 12, 0), num(12, 14, 0), 0, loc), true
}

// parseISODate reads the dates of office metadata and pdfinfo -isodates:
// RFC 3339, with or without seconds' fraction or zone, or a bare day.
func parseISODate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z07", "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// ooxmlProps reads docProps/core.xml (or the part the package's
// relationships name): dc:title, dcterms:created, else dcterms:modified.
func ooxmlProps(z *zipDoc) {
	part := "docProps/core.xml"
	if rels, err := z.rels(""); err == nil {
		for _, r := range rels {
			if r.kind == "core-properties" {
				part = r.target
			}
		}
	}
	xmlProps(z, part, map[string]string{"title": "title", "created": "created", "modified": "modified"})
}

// odfProps reads meta.xml: dc:title, meta:creation-date, else dc:date.
func odfProps(z *zipDoc) {
	xmlProps(z, "meta.xml", map[string]string{"title": "title", "creation-date": "created", "date": "modified"})
}

// xmlProps reads the elements of a metadata part named by their local
// names (which map to title, created, modified). Errors leave the
// properties unset.
func xmlProps(z *zipDoc, part string, names map[string]string) {
	if !z.has(part) {
		return
	}
	got := map[string]string{}
	_ = z.walkXML(part, func(dec *xml.Decoder, tok xml.Token) error {
		se, ok := tok.(xml.StartElement)
		if !ok {
			return nil
		}
		key, ok := names[se.Name.Local]
		if !ok || got[key] != "" {
			return nil
		}
		var v string
		if err := dec.DecodeElement(&v, &se); err != nil {
			return fmt.Errorf("%s: %w", part, err)
		}
		got[key] = v
		return nil
	})
	z.j.res.setTitle(got["title"])
	for _, k := range []string{"created", "modified"} {
		if t, ok := parseISODate(got[k]); ok {
			z.j.res.setDate(t)
			return
		}
	}
}
