package search

import (
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// A document is filed under the date it speaks of, not the day it was
// uploaded: the 2025 minutes put online in 2026 belong to 2025. That date
// drives the year facet, the date sort, the From/To filter and the
// recency of the ranking.

// Dates written in file names, most precise first. Each is bounded by
// non-digits so that "20250314" is not read inside a longer number.
var (
	nameYMD  = regexp.MustCompile(`(?:^|\D)((?:19|20)\d\d)[-_. ]?(0[1-9]|1[0-2])[-_. ]?(0[1-9]|[12]\d|3[01])(?:\D|$)`)
	nameDMY  = regexp.MustCompile(`(?:^|\D)(0?[1-9]|[12]\d|3[01])[-_. /](0?[1-9]|1[0-2])[-_. /]((?:19|20)\d\d)(?:\D|$)`)
	nameYM   = regexp.MustCompile(`(?:^|\D)((?:19|20)\d\d)[-_. ](0[1-9]|1[0-2])(?:\D|$)`)
	nameMY   = regexp.MustCompile(`(?:^|\D)(0[1-9]|1[0-2])[-_. ]((?:19|20)\d\d)(?:\D|$)`)
	nameYear = regexp.MustCompile(`(?:^|\D)((?:19|20)\d\d)(?:\D|$)`)
)

// DateInName reads a date from a file name: 2025-03-14, 20250314,
// 14-03-2025 (day first, as written in France), 2025-03, 03-2025 or a
// year alone (« PV AG 2024 »). A missing day or month is the first. Years
// before 1980 or after next year are not dates (amounts, codes).
func DateInName(name string) (time.Time, bool) {
	base := strings.TrimSuffix(name, path.Ext(name))
	next := time.Now().Year() + 1
	mk := func(y, m, d string) (time.Time, bool) {
		yi, _ := strconv.Atoi(y)
		mi, _ := strconv.Atoi(m)
		di, _ := strconv.Atoi(d)
		if yi < 1980 || yi > next {
			return time.Time{}, false
		}
		t := time.Date(yi, time.Month(mi), di, 0, 0, 0, 0, time.UTC)
		if t.Day() != di { // 31 April
			return time.Time{}, false
		}
		return t, true
	}
	if m := nameYMD.FindStringSubmatch(base); m != nil {
		if t, ok := mk(m[1], m[2], m[3]); ok {
			return t, true
		}
	}
	if m := nameDMY.FindStringSubmatch(base); m != nil {
		if t, ok := mk(m[3], m[2], m[1]); ok {
			return t, true
		}
	}
	if m := nameYM.FindStringSubmatch(base); m != nil {
		if t, ok := mk(m[1], m[2], "1"); ok {
			return t, true
		}
	}
	if m := nameMY.FindStringSubmatch(base); m != nil {
		if t, ok := mk(m[2], m[1], "1"); ok {
			return t, true
		}
	}
	if m := nameYear.FindStringSubmatch(base); m != nil {
		return mk(m[1], "1", "1")
	}
	return time.Time{}, false
}

// DocumentDate is the date a document is filed under: a date in its name
// (what people write deliberately), else the date the document carries
// (own: its PDF or office creation date, its e-mail Date, read at
// extraction; zero if none), else its last modification.
func DocumentDate(name string, own, modified time.Time) time.Time {
	if t, ok := DateInName(name); ok {
		return t
	}
	if !own.IsZero() {
		return own.UTC()
	}
	return modified.UTC()
}
