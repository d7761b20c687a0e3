package config

import (
	"fmt"
	"time"

	"notreasso/internal/retention"
)

// Retention is the version policy where no folder rule applies, and how
// often the server applies the rules. Ages read like "1h", "30d", "2w" or
// "forever" (see retention.ParseAge).
type Retention struct {
	EveryFor    string `koanf:"every_for"`    // keep every version this long
	HourlyFor   string `koanf:"hourly_for"`   // then one per hour up to this age
	DailyFor    string `koanf:"daily_for"`    // then one per day up to this age
	WeeklyFor   string `koanf:"weekly_for"`   // then one per week up to this age
	MaxVersions int    `koanf:"max_versions"` // at most this many per file (0: no cap)
	// TimeZone sets where hours, days and weeks begin, e.g. Europe/Paris;
	// "Local" is the server's zone.
	TimeZone string `koanf:"timezone"`
	// Interval is how often `serve` purges versions and expired trash
	// items; 0 turns the schedule off (`notreasso purge` still works).
	Interval time.Duration `koanf:"interval"`
}

// Trash configures the trash.
type Trash struct {
	// Expiry is how long an item stays in the trash before it is deleted
	// for good; "forever" keeps it until someone empties the trash.
	Expiry string `koanf:"expiry"`
}

// GC configures the collection of content no version uses any more.
type GC struct {
	Interval time.Duration `koanf:"interval"` // how often `serve` collects; 0: never
	Grace    time.Duration `koanf:"grace"`    // content unused for less than this is kept
}

func defaultRetention() Retention {
	d := retention.Default()
	return Retention{EveryFor: retention.FormatAge(d.EveryFor), HourlyFor: retention.FormatAge(d.HourlyFor),
		DailyFor: retention.FormatAge(d.DailyFor), WeeklyFor: retention.FormatAge(d.WeeklyFor),
		MaxVersions: d.MaxVersions, TimeZone: "Local", Interval: time.Hour}
}

// RetentionPolicy is the configured default policy.
func (c Config) RetentionPolicy() (retention.Policy, error) {
	p := retention.Policy{MaxVersions: c.Retention.MaxVersions}
	for _, f := range []struct {
		key string
		val string
		dst *time.Duration
	}{
		{"every_for", c.Retention.EveryFor, &p.EveryFor}, {"hourly_for", c.Retention.HourlyFor, &p.HourlyFor},
		{"daily_for", c.Retention.DailyFor, &p.DailyFor}, {"weekly_for", c.Retention.WeeklyFor, &p.WeeklyFor},
	} {
		d, err := retention.ParseAge(f.val)
		if err != nil {
			return p, fmt.Errorf("config: retention.%s: %w", f.key, err)
		}
		*f.dst = d
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("config: retention: %w", err)
	}
	return p, nil
}

// Location is the time zone retention thins by.
func (c Config) Location() (*time.Location, error) {
	loc, err := time.LoadLocation(c.Retention.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("config: retention.timezone: %w", err)
	}
	return loc, nil
}

// TrashExpiry is how long trash items are kept; retention.Forever if they
// never expire.
func (c Config) TrashExpiry() (time.Duration, error) {
	d, err := retention.ParseAge(c.Trash.Expiry)
	if err != nil {
		return 0, fmt.Errorf("config: trash.expiry: %w", err)
	}
	if d == 0 {
		return 0, fmt.Errorf("config: trash.expiry: 0 would empty the trash at once; use forever to keep items until emptied")
	}
	return d, nil
}

func (c *Config) validateRetention() error {
	if _, err := c.RetentionPolicy(); err != nil {
		return err
	}
	if _, err := c.Location(); err != nil {
		return err
	}
	if _, err := c.TrashExpiry(); err != nil {
		return err
	}
	if c.Retention.Interval < 0 || c.GC.Interval < 0 || c.GC.Grace < 0 {
		return fmt.Errorf("config: retention.interval, gc.interval and gc.grace cannot be negative")
	}
	return nil
}
