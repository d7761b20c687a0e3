package repo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"notreasso/internal/retention"
)

// clock is a simulated time source for the service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (e *env) withClock(start time.Time) *clock {
	c := &clock{t: start}
	e.s.now = c.now
	return c
}

// versionTimes lists a file's remaining versions: number → creation time.
func (e *env) versionTimes(t *testing.T, path string) map[int]time.Time {
	t.Helper()
	_, vs, err := e.s.History.Versions(context.Background(), e.admin, path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]time.Time{}
	for _, v := range vs {
		out[v.Number] = v.CreatedAt
	}
	return out
}

// expectedByRule computes, from the policy's wording alone, which of the
// saves (number → time) survive at now: the current one, the pinned ones,
// every save of the last hour, and the newest unpinned save of each UTC
// hour for a day, of each UTC day for 30 days, of each ISO week after.
func expectedByRule(saves map[int]time.Time, pinned map[int]bool, now time.Time) []int {
	newest := map[string]int{}
	current := 0
	for n, at := range saves {
		current = max(current, n)
		if pinned[n] {
			continue
		}
		y, w := at.ISOWeek()
		for _, key := range []string{at.Format("2006-01-02T15"), at.Format("2006-01-02"), fmt.Sprintf("W%d-%d", y, w)} {
			if m, ok := newest[key]; !ok || saves[m].Before(at) || saves[m].Equal(at) && m < n {
				newest[key] = n
			}
		}
	}
	var keep []int
	for n, at := range saves {
		age := now.Sub(at)
		y, w := at.ISOWeek()
		ok := n == current || pinned[n] || age < time.Hour ||
			age < 24*time.Hour && newest[at.Format("2006-01-02T15")] == n ||
			age >= 24*time.Hour && age < 30*retention.Day && newest[at.Format("2006-01-02")] == n ||
			age >= 30*retention.Day && newest[fmt.Sprintf("W%d-%d", y, w)] == n
		if ok {
			keep = append(keep, n)
		}
	}
	slices.Sort(keep)
	return keep
}

// 500 saves over 90 days, purged every 6 simulated hours as the server's
// schedule does, end with exactly the versions the default policy
// promises, pinned ones kept; a folder rule keeping the last 10 and one
// keeping everything are honoured at the same time.
func TestRetention500SavesOver90Days(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	clk := e.withClock(start)
	for _, dir := range []string{"/Brouillons", "/Statuts"} {
		if _, err := e.s.Tree.Mkdir(ctx, e.admin, dir); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.s.History.SetRetention(ctx, e.admin, "/Brouillons", retention.KeepLast(10), "brouillons : les 10 dernières"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.History.SetRetention(ctx, e.admin, "/Statuts", retention.Policy{KeepAll: true}, "statuts : tout garder"); err != nil {
		t.Fatal(err)
	}
	files := []string{"/Budget 2026.ods", "/Brouillons/lettre.odt", "/Statuts/statuts.odt"}

	r := rand.New(rand.NewPCG(2026, 6))
	end := start.Add(90 * retention.Day)
	// Saves come in work sessions: bursts a few minutes apart, sessions
	// hours or days apart.
	var times []time.Time
	at := start
	for len(times) < 500 {
		at = at.Add(time.Duration(r.ExpFloat64() * float64(40*time.Hour)))
		for k := 1 + r.IntN(12); k > 0 && len(times) < 500; k-- {
			at = at.Add(time.Duration(1+r.IntN(20)) * time.Minute)
			times = append(times, at)
		}
	}
	scale := float64(end.Sub(start)-time.Hour) / float64(at.Sub(start))
	saves := map[int]time.Time{}
	pinned := map[int]bool{}
	nextPurge := start.Add(6 * time.Hour)
	purged := 0
	for i, t0 := range times {
		now := start.Add(time.Duration(float64(t0.Sub(start)) * scale))
		for !nextPurge.After(now) {
			clk.set(nextPurge)
			rep, err := e.s.History.PurgeVersions(ctx, System, PurgeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			purged += rep.Versions
			nextPurge = nextPurge.Add(6 * time.Hour)
		}
		clk.set(now)
		n := i + 1
		for _, f := range files {
			if got := e.put(t, e.member, f, fmt.Sprintf("%s, enregistrement %d", f, n)); got.Version != n {
				t.Fatalf("%s: save %d became version %d", f, n, got.Version)
			}
		}
		saves[n] = now
		if n == 120 || n == 333 { // voted versions
			pinned[n] = true
			if err := e.s.History.LabelVersion(ctx, e.member, files[0], n, fmt.Sprintf("voté par l'AG (enregistrement %d)", n), true); err != nil {
				t.Fatal(err)
			}
			if err := e.s.History.LabelVersion(ctx, e.member, files[1], n, "", true); err != nil {
				t.Fatal(err)
			}
		}
	}
	clk.set(end)
	rep, err := e.s.History.PurgeVersions(ctx, System, PurgeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	purged += rep.Versions

	got := slices.Sorted(mapKeys(e.versionTimes(t, files[0])))
	want := expectedByRule(saves, pinned, end)
	if !slices.Equal(got, want) {
		t.Errorf("default policy kept %d versions %v\nthe policy promises %d: %v", len(got), got, len(want), want)
	}
	for n := range pinned {
		if !slices.Contains(got, n) {
			t.Errorf("pinned version %d purged", n)
		}
	}
	// The pure policy, applied once to the whole history, agrees.
	var all []retention.Version
	for n, at := range saves {
		all = append(all, retention.Version{ID: int64(n), CreatedAt: at, Protected: pinned[n], Current: n == 500})
	}
	var once []int
	for _, id := range retention.Kept(retention.Decide(all, retention.Default(), end, time.UTC)) {
		once = append(once, int(id))
	}
	slices.Sort(once)
	if !slices.Equal(got, once) {
		t.Errorf("purging every 6 hours kept %v, purging once keeps %v", got, once)
	}

	drafts := slices.Sorted(mapKeys(e.versionTimes(t, files[1])))
	wantDrafts := []int{120, 333, 491, 492, 493, 494, 495, 496, 497, 498, 499, 500}
	if !slices.Equal(drafts, wantDrafts) {
		t.Errorf("keep-last-10 folder kept %v, want %v (the last 10 and the 2 pinned)", drafts, wantDrafts)
	}
	if statuts := e.versionTimes(t, files[2]); len(statuts) != 500 {
		t.Errorf("keep-all folder kept %d versions, want 500", len(statuts))
	}
	if want := (500 - len(got)) + (500 - len(drafts)); purged != want {
		t.Errorf("purges reported %d versions removed, want %d", purged, want)
	}
	var journaled int
	rows, _ := e.s.db.R.Query(`SELECT details FROM journal WHERE action = 'purge_versions'`)
	for rows.Next() {
		var d string
		rows.Scan(&d)
		journaled += countOf(d, `"version":`)
	}
	rows.Close()
	if journaled != purged {
		t.Errorf("journal lists %d purged versions, purges removed %d", journaled, purged)
	}
	t.Logf("default policy: %d of 500 versions kept; keep-last-10: %d; keep-all: 500", len(got), len(drafts))
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func countOf(s, sub string) int {
	n := 0
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			n++
		}
	}
	return n
}

func TestRetentionRulesPermissionsAndInheritance(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.s.Tree.MkdirAll(ctx, e.admin, "/AG/2026")
	e.put(t, e.member, "/AG/2026/pv.odt", "pv")
	keepAll := retention.Policy{KeepAll: true}
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"member (editor) may not set a rule", func() error { _, err := e.s.History.SetRetention(ctx, e.member, "/AG", keepAll, ""); return err }, ErrForbidden},
		{"guest without grant sees nothing", func() error { _, err := e.s.History.SetRetention(ctx, e.guest, "/AG", keepAll, ""); return err }, ErrNotFound},
		{"invalid policy refused", func() error {
			_, err := e.s.History.SetRetention(ctx, e.admin, "/AG", retention.Policy{MaxVersions: -2}, "")
			return err
		}, ErrInvalid},
		{"admin sets a rule", func() error {
			_, err := e.s.History.SetRetention(ctx, e.admin, "/AG", keepAll, "AG : tout garder")
			return err
		}, nil},
		{"clearing a rule that does not exist", func() error { return e.s.History.ClearRetention(ctx, e.admin, "/AG/2026") }, ErrNotFound},
		{"member may not clear", func() error { return e.s.History.ClearRetention(ctx, e.member, "/AG") }, ErrForbidden},
		{"member may not purge", func() error { _, err := e.s.History.PurgeVersions(ctx, e.member, PurgeOptions{}); return err }, ErrForbidden},
		{"member may not collect", func() error { _, err := e.s.Maintenance.CollectGarbage(ctx, e.member, GCOptions{}); return err }, ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	eff, own, err := e.s.History.Retention(ctx, e.member, "/AG/2026/pv.odt")
	if err != nil || !eff.Policy.KeepAll || eff.Path != "/AG" || own != nil || eff.Note != "AG : tout garder" || eff.UpdatedBy != "admin" {
		t.Fatalf("effective rule below /AG: %+v own=%v err=%v", eff, own, err)
	}
	if eff, _, _ := e.s.History.Retention(ctx, e.member, "/"); !eff.IsDefault() || eff.Policy != retention.Default() {
		t.Errorf("root follows %+v, want the default", eff)
	}
	if rules, _ := e.s.History.RetentionRules(ctx, e.member); len(rules) != 1 || rules[0].Path != "/AG" {
		t.Errorf("rules: %+v", rules)
	}
	if err := e.s.History.ClearRetention(ctx, e.admin, "/AG"); err != nil {
		t.Fatal(err)
	}
	if eff, _, _ := e.s.History.Retention(ctx, e.member, "/AG/2026/pv.odt"); !eff.IsDefault() {
		t.Errorf("after clearing, the file follows %+v", eff)
	}
}

// A dry run reports what a purge would remove and removes nothing; a
// purge limited to a folder leaves the rest alone.
func TestPurgeDryRunAndScope(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	clk := e.withClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	e.s.Tree.Mkdir(ctx, e.admin, "/A")
	e.s.Tree.Mkdir(ctx, e.admin, "/B")
	for i := 0; i < 5; i++ {
		e.put(t, e.member, "/A/f.txt", fmt.Sprint("a", i))
		e.put(t, e.member, "/B/f.txt", fmt.Sprint("b", i))
		clk.set(clk.now().Add(time.Minute))
	}
	clk.set(clk.now().Add(3 * time.Hour)) // the five saves now share one past hour
	rep, err := e.s.History.PurgeVersions(ctx, e.admin, PurgeOptions{DryRun: true})
	if err != nil || rep.Versions != 8 || len(rep.Files) != 2 || rep.Files[0].Removed[0].Reason != retention.Thinned {
		t.Fatalf("dry run: %+v %v", rep, err)
	}
	if n := len(e.versionTimes(t, "/A/f.txt")); n != 5 {
		t.Errorf("dry run removed versions: %d left", n)
	}
	rep, err = e.s.History.PurgeVersions(ctx, e.admin, PurgeOptions{Path: "/A"})
	if err != nil || rep.Versions != 4 || rep.Examined != 1 {
		t.Fatalf("purge of /A: %+v %v", rep, err)
	}
	if a, b := len(e.versionTimes(t, "/A/f.txt")), len(e.versionTimes(t, "/B/f.txt")); a != 1 || b != 5 {
		t.Errorf("versions left: /A %d (want 1), /B %d (want 5)", a, b)
	}
}
