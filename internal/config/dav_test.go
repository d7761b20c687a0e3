package config

import (
	"testing"
	"time"
)

func TestDAVSettings(t *testing.T) {
	tests := []struct {
		env     []string
		junk    string
		timeout time.Duration
		wantErr bool
	}{
		{nil, "store", 24 * time.Hour, false},
		{[]string{"NOTREASSO_DAV_OS_JUNK=discard", "NOTREASSO_DAV_MAX_LOCK_TIMEOUT=1h"}, "discard", time.Hour, false},
		{[]string{"NOTREASSO_DAV_OS_JUNK=refuse"}, "refuse", 24 * time.Hour, false},
		{[]string{"NOTREASSO_DAV_OS_JUNK=hide"}, "", 0, true},
	}
	for _, tt := range tests {
		c, err := Load(nil, append([]string{"NOTREASSO_DATA=" + t.TempDir()}, tt.env...))
		if (err != nil) != tt.wantErr {
			t.Errorf("%v: err = %v", tt.env, err)
			continue
		}
		if !tt.wantErr && (c.DAV.OSJunk != tt.junk || c.DAV.MaxLockTimeout != tt.timeout) {
			t.Errorf("%v: %+v", tt.env, c.DAV)
		}
	}
}
