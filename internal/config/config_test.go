package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestLoadPriority(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "notreasso.yaml")
	os.WriteFile(file, []byte("addr: 127.0.0.1:9000\nbase_url: https://docs.example.org\nlog:\n  level: debug\nstorage:\n  s3:\n    bucket: from-file\n"), 0o600)
	flags := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	flags.String("config", "", "")
	flags.String("data", "./data", "")
	flags.String("addr", "127.0.0.1:8080", "")
	if err := flags.Parse([]string{"--config", file, "--data", dir}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(flags, []string{"NOTREASSO_ADDR=127.0.0.1:9100", "NOTREASSO_STORAGE_S3_BUCKET=from-env", "NOTREASSO_UNKNOWN=x"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Data != dir {
		t.Errorf("data = %q (flag must win)", c.Data)
	}
	if c.Addr != "127.0.0.1:9100" {
		t.Errorf("addr = %q (env must beat the file when no flag is set)", c.Addr)
	}
	if c.Storage.S3.Bucket != "from-env" || c.Log.Level != "debug" || c.MaxUpload != 20<<30 {
		t.Errorf("got %+v", c)
	}
	if !c.SecureCookies() || c.PublicURL() != "https://docs.example.org" {
		t.Errorf("public URL %q secure %v", c.PublicURL(), c.SecureCookies())
	}
}

func TestValidate(t *testing.T) {
	for _, env := range [][]string{
		{"NOTREASSO_STORAGE_BACKEND=ftp"},
		{"NOTREASSO_STORAGE_BACKEND=s3"},
		{"NOTREASSO_LOG_FORMAT=xml"},
		{"NOTREASSO_DURABILITY=fsync"},
	} {
		if _, err := Load(nil, env); err == nil {
			t.Errorf("%v accepted", env)
		}
	}
	c, err := Load(nil, nil)
	if err != nil || c.PublicURL() != "http://127.0.0.1:8080" || c.SecureCookies() || c.Durability != "process" {
		t.Errorf("defaults: %+v %v", c, err)
	}
}

func TestTrustedProxiesAndAuth(t *testing.T) {
	c, err := Load(nil, []string{"NOTREASSO_TRUSTED_PROXIES=10.0.0.1, 192.168.0.0/16", "NOTREASSO_AUTH_APP_PASSWORDS_ONLY=true"})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := c.TrustedProxyPrefixes()
	if err != nil || len(ps) != 2 || ps[0].String() != "10.0.0.1/32" || ps[1].String() != "192.168.0.0/16" {
		t.Errorf("trusted proxies %v %v (from %q)", ps, err, c.TrustedProxies)
	}
	if !c.Auth.AppPasswordsOnly {
		t.Error("auth.app_passwords_only not read from the environment")
	}
	if _, err := Load(nil, []string{"NOTREASSO_TRUSTED_PROXIES=proxy.example.org"}); err == nil {
		t.Error("a host name accepted as a trusted proxy")
	}
	if c, _ := Load(nil, nil); len(c.TrustedProxies) != 0 || c.Auth.AppPasswordsOnly {
		t.Errorf("defaults: %+v", c)
	}
}

func TestRetentionSettings(t *testing.T) {
	c, err := Load(nil, []string{"NOTREASSO_RETENTION_DAILY_FOR=60d", "NOTREASSO_RETENTION_MAX_VERSIONS=20",
		"NOTREASSO_RETENTION_TIMEZONE=Europe/Paris", "NOTREASSO_TRASH_EXPIRY=2w", "NOTREASSO_GC_GRACE=2h"})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := c.RetentionPolicy()
	loc, _ := c.Location()
	exp, _ := c.TrashExpiry()
	if p.DailyFor != 60*24*time.Hour || p.MaxVersions != 20 || p.EveryFor != time.Hour || loc.String() != "Europe/Paris" ||
		exp != 14*24*time.Hour || c.GC.Grace != 2*time.Hour || c.Retention.Interval != time.Hour {
		t.Errorf("policy %+v, zone %v, trash %v, config %+v", p, loc, exp, c)
	}
	for _, env := range []string{"NOTREASSO_RETENTION_WEEKLY_FOR=soon", "NOTREASSO_RETENTION_TIMEZONE=Mars/Olympus",
		"NOTREASSO_TRASH_EXPIRY=0", "NOTREASSO_RETENTION_MAX_VERSIONS=-1"} {
		if _, err := Load(nil, []string{env}); err == nil {
			t.Errorf("%s accepted", env)
		}
	}
}
