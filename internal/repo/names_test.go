package repo

import (
	"errors"
	"strings"
	"testing"
)

func TestCleanName(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"Procès-verbal.pdf", "Procès-verbal.pdf", true},
		{"Proce\u0300s.pdf", "Procès.pdf", true}, // NFD from macOS
		{"", "", false},
		{".", "", false},
		{"..", "", false},
		{"a/b", "", false},
		{"a\x00b", "", false},
		{"tab\there", "", false},
		{"del\x7f", "", false},
		{strings.Repeat("é", 128), "", false}, // 256 bytes
		{strings.Repeat("a", 255), strings.Repeat("a", 255), true},
		{"\xff\xfe", "", false},
		{"...", "...", true},
		{" espace ", " espace ", true},
	}
	for _, tt := range tests {
		got, err := CleanName(tt.in)
		if tt.ok != (err == nil) || got != tt.want {
			t.Errorf("CleanName(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidName) {
			t.Errorf("CleanName(%q) error %v does not wrap ErrInvalidName", tt.in, err)
		}
	}
}

func TestSplitPath(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"/", "/", true},
		{"", "/", true},
		{"/a//b/", "/a/b", true},
		{"/a/../b", "", false},
		{"../etc/passwd", "", false},
		{"/a/./b", "", false},
	}
	for _, tt := range tests {
		names, err := SplitPath(tt.in)
		if tt.ok != (err == nil) || (err == nil && JoinPath(names) != tt.want) {
			t.Errorf("SplitPath(%q) = %v, %v; want %q ok=%v", tt.in, names, err, tt.want, tt.ok)
		}
	}
}

func FuzzSplitPath(f *testing.F) {
	for _, s := range []string{"/a/b", "../x", "/é/\u0301", "a\x00", "//"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		names, err := SplitPath(p)
		if err != nil {
			return
		}
		for _, n := range names {
			if n == "" || n == "." || n == ".." || strings.ContainsAny(n, "/\x00") || len(n) > MaxNameBytes {
				t.Fatalf("SplitPath(%q) let %q through", p, n)
			}
		}
		// Cleaning is idempotent: a cleaned path splits to itself.
		again, err := SplitPath(JoinPath(names))
		if err != nil || JoinPath(again) != JoinPath(names) {
			t.Fatalf("not idempotent: %q → %q → %q (%v)", p, JoinPath(names), JoinPath(again), err)
		}
	})
}
