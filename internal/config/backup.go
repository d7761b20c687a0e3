package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Backup configures the backups `serve` makes on its own (see
// docs/backup.md). The YAML file's section applies until an administrator
// saves the settings from the « Sauvegardes » page; the page's settings are
// kept in the database and win from then on. Secrets are never written
// here or in the database: an S3 target names a file or an environment
// variable holding its secret key.
type Backup struct {
	// Every is how often each target gets a backup; 0 turns the schedule
	// off (backups then run only when asked).
	Every time.Duration `koanf:"every" json:"every"`
	// VerifyEvery is how often the newest snapshot of each target is
	// restored into a temporary directory and checked; 0: never on its own.
	VerifyEvery time.Duration `koanf:"verify_every" json:"verify_every"`
	// VerifySample is how many contents a verification reads whole to
	// check their SHA-256 (every content's presence and size is checked).
	VerifySample int `koanf:"verify_sample" json:"verify_sample"`
	// Snapshots are thinned by age like versions: every snapshot of the
	// last day, then one per day for Daily days, one per week for Weekly
	// weeks, one per month for Monthly months; at most Keep (0: no cap).
	Daily   int `koanf:"daily" json:"daily"`
	Weekly  int `koanf:"weekly" json:"weekly"`
	Monthly int `koanf:"monthly" json:"monthly"`
	Keep    int `koanf:"keep" json:"keep"`
	// Targets are where backups go; none: no automatic backup.
	Targets []BackupTarget `koanf:"targets" json:"targets"`
}

// BackupTarget is one place backups go.
type BackupTarget struct {
	Name string `koanf:"name" json:"name"` // a short name, e.g. "disque-usb" or "hors-site"
	// Kind is dir (a directory: another disk, a mounted share), bucket (the
	// live S3 bucket itself, snapshots under meta/ beside the blobs) or s3
	// (a second S3-compatible bucket, at another provider).
	Kind string   `koanf:"kind" json:"kind"`
	Dir  string   `koanf:"dir" json:"dir,omitempty"`
	S3   BackupS3 `koanf:"s3" json:"s3"`
}

// BackupS3 is an off-site bucket. The secret key comes from
// SecretKeyFile or the environment variable SecretKeyEnv, never from here.
type BackupS3 struct {
	Endpoint      string `koanf:"endpoint" json:"endpoint,omitempty"`
	Region        string `koanf:"region" json:"region,omitempty"`
	Bucket        string `koanf:"bucket" json:"bucket,omitempty"`
	Prefix        string `koanf:"prefix" json:"prefix,omitempty"`
	AccessKey     string `koanf:"access_key" json:"access_key,omitempty"`
	SecretKeyFile string `koanf:"secret_key_file" json:"secret_key_file,omitempty"`
	SecretKeyEnv  string `koanf:"secret_key_env" json:"secret_key_env,omitempty"`
	TLS           bool   `koanf:"tls" json:"tls"`
	PathStyle     bool   `koanf:"path_style" json:"path_style"`
	CreateBucket  bool   `koanf:"create_bucket" json:"create_bucket"`
}

func defaultBackup() Backup {
	return Backup{Every: 24 * time.Hour, VerifyEvery: 7 * 24 * time.Hour, VerifySample: 20,
		Daily: 7, Weekly: 4, Monthly: 12, Keep: 30, Targets: []BackupTarget{}}
}

// DefaultBackup is the backup section's default (daily, verified weekly).
func DefaultBackup() Backup { return defaultBackup() }

var targetName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate reports settings that cannot be applied, naming the field.
func (b Backup) Validate() error {
	if b.Every < 0 || b.VerifyEvery < 0 || b.VerifySample < 0 || b.Daily < 0 || b.Weekly < 0 || b.Monthly < 0 || b.Keep < 0 {
		return fmt.Errorf("backup: durations and counts cannot be negative")
	}
	if b.Every > 0 && b.Every < time.Minute {
		return fmt.Errorf("backup.every: %v is less than a minute", b.Every)
	}
	seen := map[string]bool{}
	for i, t := range b.Targets {
		if !targetName.MatchString(t.Name) {
			return fmt.Errorf("backup.targets[%d].name %q: use lower-case letters, digits, - and _ (at most 40)", i, t.Name)
		}
		if seen[t.Name] {
			return fmt.Errorf("backup.targets: two targets named %q", t.Name)
		}
		seen[t.Name] = true
		switch t.Kind {
		case "dir":
			if !strings.HasPrefix(t.Dir, "/") {
				return fmt.Errorf("backup target %s: dir must be an absolute path", t.Name)
			}
		case "bucket":
		case "s3":
			s := t.S3
			if s.Endpoint == "" || s.Bucket == "" {
				return fmt.Errorf("backup target %s: s3.endpoint and s3.bucket are needed", t.Name)
			}
			if s.SecretKeyFile != "" && s.SecretKeyEnv != "" {
				return fmt.Errorf("backup target %s: give s3.secret_key_file or s3.secret_key_env, not both", t.Name)
			}
			if s.SecretKeyFile != "" && !strings.HasPrefix(s.SecretKeyFile, "/") {
				return fmt.Errorf("backup target %s: s3.secret_key_file must be an absolute path", t.Name)
			}
			if s.SecretKeyEnv != "" && !envName.MatchString(s.SecretKeyEnv) {
				return fmt.Errorf("backup target %s: s3.secret_key_env %q is not a variable name", t.Name, s.SecretKeyEnv)
			}
		default:
			return fmt.Errorf("backup target %s: kind %q is none of dir, bucket, s3", t.Name, t.Kind)
		}
	}
	return nil
}

// Target returns the target named name.
func (b Backup) Target(name string) (BackupTarget, bool) {
	for _, t := range b.Targets {
		if t.Name == name {
			return t, true
		}
	}
	return BackupTarget{}, false
}
