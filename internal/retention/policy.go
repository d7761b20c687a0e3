// Package retention decides which versions of a file a policy keeps. It is
// pure: given the versions, a policy and "now", it returns a decision per
// version with a reason a treasurer can read. internal/repo applies it.
//
// The schedule thins frequent saves by age: every version younger than
// EveryFor, then the newest version of each hour up to HourlyFor, of each
// day up to DailyFor, of each week up to WeeklyFor; older ones go. Buckets
// are calendar hours, days and ISO weeks in one time zone, so an hour lies
// inside one day and a day inside one week: the newest version of a week is
// also the newest of its day and hour. Purging often or rarely therefore
// ends with the same versions (see TestHistoryIndependent).
package retention

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Forever is an age limit that is never reached.
const Forever = time.Duration(math.MaxInt64)

// Policy is one retention rule.
type Policy struct {
	// KeepAll keeps every version forever; the other fields are ignored.
	KeepAll bool
	// MaxVersions caps the versions kept (pinned ones not counted); when
	// over, the oldest go first. 0 means no cap.
	MaxVersions int
	// Age limits of the stages, each measured from now: keep every version
	// younger than EveryFor, one per hour up to HourlyFor, one per day up to
	// DailyFor, one per week up to WeeklyFor. A limit at or below the
	// previous one skips its stage. Versions older than WeeklyFor go.
	EveryFor  time.Duration
	HourlyFor time.Duration
	DailyFor  time.Duration
	WeeklyFor time.Duration
	// MonthlyFor keeps one per calendar month up to this age after the
	// weekly stage (backup snapshots use it); 0 skips it.
	MonthlyFor time.Duration
}

// Default is the policy when nothing else is configured: every version for
// an hour, hourly for a day, daily for 30 days, weekly after that, at most
// 100 versions.
func Default() Policy {
	return Policy{MaxVersions: 100, EveryFor: time.Hour, HourlyFor: 24 * time.Hour, DailyFor: 30 * Day, WeeklyFor: Forever}
}

// KeepLast keeps the n newest versions, whatever their age.
func KeepLast(n int) Policy { return Policy{MaxVersions: n, EveryFor: Forever} }

// Day and Week are calendar-free durations for age limits.
const (
	Day  = 24 * time.Hour
	Week = 7 * Day
)

// Validate reports a policy that cannot be applied.
func (p Policy) Validate() error {
	if p.MaxVersions < 0 {
		return errors.New("max_versions must be 0 (no limit) or more")
	}
	for _, d := range []time.Duration{p.EveryFor, p.HourlyFor, p.DailyFor, p.WeeklyFor, p.MonthlyFor} {
		if d < 0 {
			return errors.New("an age limit cannot be negative")
		}
	}
	return nil
}

// String describes the policy in one sentence a treasurer can read, for
// the journal, logs and the command line.
func (p Policy) String() string {
	if p.KeepAll || p.EveryFor == Forever && p.MaxVersions == 0 {
		return "every version, forever"
	}
	if p.EveryFor == Forever {
		return fmt.Sprintf("the %d newest versions", p.MaxVersions)
	}
	var parts []string
	reached := time.Duration(0)
	if p.EveryFor > 0 {
		parts = append(parts, "every version for "+humanAge(p.EveryFor))
		reached = p.EveryFor
	}
	for _, st := range []struct {
		limit time.Duration
		what  string
	}{{p.HourlyFor, "one per hour"}, {p.DailyFor, "one per day"}, {p.WeeklyFor, "one per week"}, {p.MonthlyFor, "one per month"}} {
		if st.limit <= reached {
			continue
		}
		if st.limit == Forever {
			parts = append(parts, st.what+" after that")
		} else {
			parts = append(parts, st.what+" up to "+humanAge(st.limit)+" old")
		}
		reached = st.limit
	}
	if reached != Forever {
		parts = append(parts, "nothing older")
	}
	s := strings.Join(parts, ", then ")
	if p.MaxVersions > 0 {
		s += fmt.Sprintf("; at most %d versions", p.MaxVersions)
	}
	return s
}

// humanAge writes an age in words: "1 hour", "30 days", "2 weeks".
func humanAge(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.FormatInt(n, 10) + " " + one + "s"
	}
	switch {
	case d%Week == 0:
		return unit(int64(d/Week), "week")
	case d%Day == 0:
		return unit(int64(d/Day), "day")
	case d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	}
	return d.String()
}

// ParseAge reads an age limit: "forever", "0", or a number with a unit
// among m (minutes), h, d (days), w (weeks), e.g. "36h", "30d", "2w"; Go
// durations such as "1h30m" work too.
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	switch s {
	case "forever", "always", "never":
		return Forever, nil
	case "", "0":
		return 0, nil
	}
	for unit, d := range map[string]time.Duration{"d": Day, "w": Week} {
		if num, ok := strings.CutSuffix(s, unit); ok {
			n, err := strconv.ParseFloat(num, 64)
			if err != nil || n < 0 || n > float64(math.MaxInt64)/float64(d) {
				return 0, fmt.Errorf("age %q: want a number of %s", s, map[string]string{"d": "days", "w": "weeks"}[unit])
			}
			return time.Duration(n * float64(d)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("age %q: want e.g. 1h, 30d, 2w or forever", s)
	}
	return d, nil
}

// FormatAge is the inverse of ParseAge, preferring weeks and days.
func FormatAge(d time.Duration) string {
	switch {
	case d == Forever:
		return "forever"
	case d == 0:
		return "0"
	case d%Week == 0:
		return strconv.FormatInt(int64(d/Week), 10) + "w"
	case d%Day == 0:
		return strconv.FormatInt(int64(d/Day), 10) + "d"
	}
	s := d.String() // "1h30m0s", "36h0m0s"
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Version is what the policy needs to know about one version.
type Version struct {
	ID        int64
	CreatedAt time.Time
	Protected bool // pinned or labelled: kept, outside the schedule and the cap
	Current   bool // the file's current content: always kept
}

// Reason says why a version is kept or dropped.
type Reason string

const (
	Current Reason = "current"  // the file's current content
	Pinned  Reason = "pinned"   // pinned or labelled by someone
	KeepAll Reason = "keep-all" // the rule keeps every version
	Recent  Reason = "recent"   // younger than EveryFor
	Hourly  Reason = "hourly"   // the newest of its hour
	Daily   Reason = "daily"    // the newest of its day
	Weekly  Reason = "weekly"   // the newest of its week
	Monthly Reason = "monthly"  // the newest of its month
	Thinned Reason = "thinned"  // a newer version represents its hour, day or week
	TooOld  Reason = "too-old"  // older than WeeklyFor
	OverMax Reason = "over-max" // beyond MaxVersions
)

// Decision is the verdict on one version.
type Decision struct {
	Version
	Keep   bool
	Reason Reason
}

// Decide applies p at now to the versions of one file. Bucket boundaries
// (hours, days, ISO weeks) are taken in loc (UTC if nil). The result is in
// the order of vs.
func Decide(vs []Version, p Policy, now time.Time, loc *time.Location) []Decision {
	if loc == nil {
		loc = time.UTC
	}
	out := make([]Decision, len(vs))
	order := make([]int, len(vs))
	for i, v := range vs {
		out[i] = Decision{Version: v}
		order[i] = i
	}
	// Newest first; the id breaks ties so equal times still decide one way.
	sort.SliceStable(order, func(a, b int) bool {
		va, vb := vs[order[a]], vs[order[b]]
		if !va.CreatedAt.Equal(vb.CreatedAt) {
			return va.CreatedAt.After(vb.CreatedAt)
		}
		return va.ID > vb.ID
	})
	// The newest unprotected version of each bucket represents it.
	newest := map[bucket]int{}
	for _, i := range order {
		if vs[i].Protected {
			continue
		}
		for _, per := range []period{hour, day, week, month} {
			k := bucketOf(vs[i].CreatedAt, per, loc)
			if _, ok := newest[k]; !ok {
				newest[k] = i
			}
		}
	}
	kept := 0
	for _, i := range order {
		v := vs[i]
		d := &out[i]
		switch {
		case v.Current:
			d.Keep, d.Reason = true, Current
		case v.Protected:
			d.Keep, d.Reason = true, Pinned
			continue // outside the cap
		case p.KeepAll:
			d.Keep, d.Reason = true, KeepAll
		default:
			d.Keep, d.Reason = stage(v, i, p, now, loc, newest)
		}
		if !d.Keep {
			continue
		}
		kept++
		if p.MaxVersions > 0 && kept > p.MaxVersions && !v.Current && !p.KeepAll {
			d.Keep, d.Reason = false, OverMax
			kept--
		}
	}
	return out
}

func stage(v Version, i int, p Policy, now time.Time, loc *time.Location, newest map[bucket]int) (bool, Reason) {
	age := max(now.Sub(v.CreatedAt), 0)
	var per period
	var why Reason
	switch {
	case age < p.EveryFor:
		return true, Recent
	case age < p.HourlyFor:
		per, why = hour, Hourly
	case age < p.DailyFor:
		per, why = day, Daily
	case age < p.WeeklyFor:
		per, why = week, Weekly
	case age < p.MonthlyFor:
		per, why = month, Monthly
	default:
		return false, TooOld
	}
	if newest[bucketOf(v.CreatedAt, per, loc)] == i {
		return true, why
	}
	return false, Thinned
}

type period int

const (
	hour period = iota
	day
	week
	month
)

// bucket is a calendar hour, day or ISO week in a time zone. Keys are
// calendar fields rather than instants, so an hour repeated when clocks go
// back is one bucket and nesting (hour ⊂ day ⊂ week) always holds.
type bucket struct {
	per         period
	year, month int
	day, hour   int
}

func bucketOf(t time.Time, per period, loc *time.Location) bucket {
	t = t.In(loc)
	switch per {
	case hour:
		return bucket{hour, t.Year(), int(t.Month()), t.Day(), t.Hour()}
	case day:
		return bucket{day, t.Year(), int(t.Month()), t.Day(), 0}
	case month:
		return bucket{month, t.Year(), int(t.Month()), 0, 0}
	}
	y, w := t.ISOWeek()
	return bucket{week, y, w, 0, 0}
}

// Kept returns the ids of the kept versions.
func Kept(ds []Decision) []int64 {
	var ids []int64
	for _, d := range ds {
		if d.Keep {
			ids = append(ids, d.ID)
		}
	}
	return ids
}
