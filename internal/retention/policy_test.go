package retention

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var now = time.Date(2026, 6, 12, 15, 30, 0, 0, time.UTC) // a Friday

func ago(d time.Duration) time.Time { return now.Add(-d) }

// v builds versions; ids are given in creation order by the cases.
func v(id int64, at time.Time, flags ...string) Version {
	ver := Version{ID: id, CreatedAt: at}
	for _, f := range flags {
		switch f {
		case "pinned":
			ver.Protected = true
		case "current":
			ver.Current = true
		}
	}
	return ver
}

func TestDecide(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	noCap := Default()
	noCap.MaxVersions = 0
	tests := []struct {
		name     string
		policy   Policy
		loc      *time.Location
		versions []Version
		want     map[int64]Reason // every version's reason; kept ones are those with a keep reason
	}{
		{"no versions", Default(), nil, nil, map[int64]Reason{}},
		{"current kept even when too old", Policy{WeeklyFor: 4 * Week}, nil,
			[]Version{v(1, ago(800*Day)), v(2, ago(400*Day), "current")},
			map[int64]Reason{1: TooOld, 2: Current}},
		{"every version in the last hour", Default(), nil,
			[]Version{v(1, ago(59*time.Minute)), v(2, ago(30*time.Minute)), v(3, ago(time.Minute), "current")},
			map[int64]Reason{1: Recent, 2: Recent, 3: Current}},
		{"one per hour within a day: the newest of the hour", Default(), nil,
			[]Version{v(1, ago(5*time.Hour+20*time.Minute)), v(2, ago(5*time.Hour+10*time.Minute)), v(3, ago(4*time.Hour+50*time.Minute)),
				v(4, ago(time.Minute), "current")},
			// 10:10 and 10:20 share the 10:00 hour; 10:40 is alone in it too? 15:30-4:50 = 10:40: same hour.
			map[int64]Reason{1: Thinned, 2: Thinned, 3: Hourly, 4: Current}},
		{"one per day within a month", Default(), nil,
			[]Version{v(1, time.Date(2026, 6, 9, 8, 0, 0, 0, time.UTC)), v(2, time.Date(2026, 6, 9, 18, 0, 0, 0, time.UTC)),
				v(3, time.Date(2026, 6, 10, 9, 0, 0, 0, time.UTC)), v(4, ago(0), "current")},
			map[int64]Reason{1: Thinned, 2: Daily, 3: Daily, 4: Current}},
		{"one per ISO week after a month", Default(), nil,
			[]Version{
				v(1, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)),  // Monday, week 10
				v(2, time.Date(2026, 3, 8, 22, 0, 0, 0, time.UTC)), // Sunday, week 10
				v(3, time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC)),  // Monday, week 11
				v(4, ago(0), "current")},
			map[int64]Reason{1: Thinned, 2: Weekly, 3: Weekly, 4: Current}},
		{"older than the weekly limit goes", Policy{EveryFor: time.Hour, HourlyFor: Day, DailyFor: 30 * Day, WeeklyFor: 52 * Week}, nil,
			[]Version{v(1, ago(2*365*Day)), v(2, ago(200*Day)), v(3, ago(0), "current")},
			map[int64]Reason{1: TooOld, 2: Weekly, 3: Current}},
		{"pinned kept, outside buckets and cap", Policy{MaxVersions: 1, EveryFor: time.Hour, HourlyFor: Day, DailyFor: 30 * Day, WeeklyFor: Forever}, nil,
			[]Version{v(1, ago(3*time.Hour)), v(2, ago(3*time.Hour-time.Minute), "pinned"), v(3, ago(0), "current")},
			// 2 is pinned and newest of its hour, yet 1 still represents the hour; the cap of 1 is taken by the current version.
			map[int64]Reason{1: OverMax, 2: Pinned, 3: Current}},
		{"pinned does not hide the unpinned newest of its hour", noCap, nil,
			[]Version{v(1, ago(3*time.Hour)), v(2, ago(3*time.Hour-time.Minute), "pinned"), v(3, ago(0), "current")},
			map[int64]Reason{1: Hourly, 2: Pinned, 3: Current}},
		{"keep all ignores age and cap", Policy{KeepAll: true, MaxVersions: 1}, nil,
			[]Version{v(1, ago(3000*Day)), v(2, ago(time.Hour)), v(3, ago(0), "current")},
			map[int64]Reason{1: KeepAll, 2: KeepAll, 3: Current}},
		{"max versions drops the oldest first", Policy{MaxVersions: 3, EveryFor: Forever}, nil,
			[]Version{v(1, ago(5*time.Minute)), v(2, ago(4*time.Minute)), v(3, ago(3*time.Minute)), v(4, ago(2*time.Minute)), v(5, ago(time.Minute), "current")},
			map[int64]Reason{1: OverMax, 2: OverMax, 3: Recent, 4: Recent, 5: Current}},
		{"keep last 2 whatever the age", KeepLast(2), nil,
			[]Version{v(1, ago(900*Day)), v(2, ago(800*Day)), v(3, ago(700*Day), "current")},
			map[int64]Reason{1: OverMax, 2: Recent, 3: Current}},
		{"a stage at or below the previous one is skipped", Policy{EveryFor: 2 * Day, HourlyFor: Day, DailyFor: 2 * Day, WeeklyFor: 10 * Week}, nil,
			// 2 and 3 are in the previous ISO week; the current version represents this one.
			[]Version{v(1, ago(36*time.Hour)), v(2, ago(10*Day)), v(3, ago(10*Day-time.Hour)), v(4, ago(0), "current")},
			map[int64]Reason{1: Recent, 2: Thinned, 3: Weekly, 4: Current}},
		{"day boundaries in UTC", Default(), nil,
			[]Version{v(1, time.Date(2026, 6, 1, 21, 30, 0, 0, time.UTC)), v(2, time.Date(2026, 6, 1, 22, 30, 0, 0, time.UTC)), v(3, ago(0), "current")},
			map[int64]Reason{1: Thinned, 2: Daily, 3: Current}},
		{"day boundaries in Paris (UTC+2 in June)", Default(), paris,
			// 21:30 UTC is 23:30 on June 1 in Paris, 22:30 UTC is 00:30 on June 2.
			[]Version{v(1, time.Date(2026, 6, 1, 21, 30, 0, 0, time.UTC)), v(2, time.Date(2026, 6, 1, 22, 30, 0, 0, time.UTC)), v(3, ago(0), "current")},
			map[int64]Reason{1: Daily, 2: Daily, 3: Current}},
		{"equal times: the higher id represents the bucket", Default(), nil,
			[]Version{v(1, ago(5*time.Hour)), v(2, ago(5*time.Hour)), v(3, ago(0), "current")},
			map[int64]Reason{1: Thinned, 2: Hourly, 3: Current}},
		{"a clock ahead counts as just saved", Default(), nil,
			[]Version{v(1, now.Add(time.Hour)), v(2, now.Add(2*time.Hour), "current")},
			map[int64]Reason{1: Recent, 2: Current}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.policy.Validate(); err != nil {
				t.Fatal(err)
			}
			ds := Decide(tt.versions, tt.policy, now, tt.loc)
			if len(ds) != len(tt.versions) {
				t.Fatalf("%d decisions for %d versions", len(ds), len(tt.versions))
			}
			for i, d := range ds {
				if d.ID != tt.versions[i].ID {
					t.Errorf("decision %d is for version %d, want input order", i, d.ID)
				}
				want := tt.want[d.ID]
				keep := want == Current || want == Pinned || want == KeepAll || want == Recent || want == Hourly || want == Daily || want == Weekly
				if d.Reason != want || d.Keep != keep {
					t.Errorf("version %d (%s ago): %v %s, want %v %s", d.ID, now.Sub(d.CreatedAt), d.Keep, d.Reason, keep, want)
				}
			}
		})
	}
}

// Purging after every save, every few hours or only once at the end must
// leave exactly the same versions: the schedule is history-independent
// when the cap does not bind (and always with KeepLast).
func TestHistoryIndependent(t *testing.T) {
	policies := map[string]Policy{"default without cap": {EveryFor: time.Hour, HourlyFor: Day, DailyFor: 30 * Day, WeeklyFor: Forever},
		"short":  {EveryFor: 10 * time.Minute, HourlyFor: 6 * time.Hour, DailyFor: 10 * Day, WeeklyFor: 12 * Week},
		"last 7": KeepLast(7)}
	for name, p := range policies {
		for seed := uint64(1); seed <= 20; seed++ {
			t.Run(fmt.Sprintf("%s/seed %d", name, seed), func(t *testing.T) {
				r := rand.New(rand.NewPCG(seed, 0))
				start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
				clock := start
				var all, live []Version
				for id := int64(1); id <= 400; id++ {
					clock = clock.Add(time.Duration(r.ExpFloat64() * float64(6*time.Hour)))
					for i := range live {
						live[i].Current = false
					}
					nv := Version{ID: id, CreatedAt: clock, Current: true, Protected: r.IntN(50) == 0}
					for i := range all {
						all[i].Current = false
					}
					all = append(all, nv)
					live = append(live, nv)
					if r.IntN(3) == 0 { // purge now and then
						live = keepOnly(live, Kept(Decide(live, p, clock, nil)))
					}
				}
				end := clock.Add(time.Duration(r.IntN(90)) * Day)
				got := Kept(Decide(live, p, end, nil))
				want := Kept(Decide(all, p, end, nil))
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("purging along the way kept %v, purging once keeps %v", got, want)
				}
			})
		}
	}
}

func keepOnly(vs []Version, ids []int64) []Version {
	var out []Version
	for _, v := range vs {
		if slices.Contains(ids, v.ID) {
			out = append(out, v)
		}
	}
	return out
}

func TestParseFormatAge(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		out  string
	}{
		{"forever", Forever, "forever"},
		{"0", 0, "0"},
		{"1h", time.Hour, "1h"},
		{"90m", 90 * time.Minute, "1h30m"},
		{"30d", 30 * Day, "30d"},
		{"2w", 2 * Week, "2w"},
		{"14d", 2 * Week, "2w"},
		{"1.5d", 36 * time.Hour, "36h"},
		{" 7D ", Week, "1w"},
	}
	for _, tt := range tests {
		got, err := ParseAge(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if s := FormatAge(got); s != tt.out {
			t.Errorf("FormatAge(%v) = %q, want %q", got, s, tt.out)
		}
	}
	for _, bad := range []string{"-1h", "x", "3 days", "-2d", "1e300w"} {
		if _, err := ParseAge(bad); err == nil {
			t.Errorf("ParseAge(%q) accepted", bad)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, p := range []Policy{{MaxVersions: -1}, {EveryFor: -time.Hour}} {
		if p.Validate() == nil {
			t.Errorf("%+v accepted", p)
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		p    Policy
		want string
	}{
		{Default(), "every version for 1 hour, then one per hour up to 1 day old, then one per day up to 30 days old, then one per week after that; at most 100 versions"},
		{Policy{KeepAll: true}, "every version, forever"},
		{KeepLast(10), "the 10 newest versions"},
		{Policy{EveryFor: 2 * Day, HourlyFor: Day, DailyFor: 2 * Week, WeeklyFor: 52 * Week}, "every version for 2 days, then one per day up to 2 weeks old, then one per week up to 52 weeks old, then nothing older"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%+v:\n got %q\nwant %q", tt.p, got, tt.want)
		}
	}
}
