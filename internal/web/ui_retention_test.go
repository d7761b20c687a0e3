package web

import (
	"testing"
	"time"

	"golang.org/x/text/language"

	"notreasso/internal/retention"
)

// The policy summary says a rule as people read it, in both languages.
func TestPolicySummary(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	fr, en := cat.locale(language.French), cat.locale(language.English)
	tests := []struct {
		l    *Locale
		p    retention.Policy
		want string
	}{
		{fr, retention.Default(), "Garder toutes les versions pendant 1 heure, puis une par heure jusqu'à 1 jour, puis une par jour jusqu'à 30 jours, puis une par semaine au-delà ; au plus 100 versions."},
		{en, retention.Default(), "Keep every version for 1 hour, then one per hour up to 1 day old, then one per day up to 30 days old, then one per week after that; at most 100 versions."},
		{fr, retention.Policy{EveryFor: 30 * retention.Day, DailyFor: 90 * retention.Day}, "Garder toutes les versions pendant 30 jours, puis une par jour jusqu'à 90 jours, puis rien de plus ancien."},
		{fr, retention.Policy{HourlyFor: 2 * retention.Week, WeeklyFor: retention.Forever, MaxVersions: 1}, "Garder une par heure jusqu'à 2 semaines, puis une par semaine au-delà ; au plus 1 version."},
		{fr, retention.KeepLast(5), "Garder seulement les 5 dernières versions."},
		{en, retention.KeepLast(1), "Keep only the latest version."},
		{fr, retention.Policy{KeepAll: true}, "Garder toutes les versions, pour toujours."},
		{en, retention.Policy{EveryFor: 36 * time.Hour}, "Keep every version for 36 hours, then nothing older."},
	}
	for _, tt := range tests {
		if got := policySummary(tt.l, tt.p); got != tt.want {
			t.Errorf("%v %+v:\n got  %q\n want %q", tt.l.Tag, tt.p, got, tt.want)
		}
	}
}
