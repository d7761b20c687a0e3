package web

import (
	"net/url"
	"strings"
	"testing"
)

// A post-login or post-action redirect never leaves the site, whatever
// "next" or "back" a link or form carries.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/browse/x", "//evil.example", "/\\evil", "https://evil", "javascript:alert(1)", "/a\r\nSet-Cookie: x", "/%2F%2Fevil", "/\t/evil", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		bad := strings.IndexFunc(got, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) >= 0
		// What a browser makes of it: tabs and newlines dropped, \ read as /.
		seen := strings.ReplaceAll(strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, got), "\\", "/")
		if bad || !strings.HasPrefix(seen, "/") || strings.HasPrefix(seen, "//") {
			t.Fatalf("safeNext(%q) = %q", next, got)
		}
		u, err := url.Parse(got)
		if err == nil && (u.Host != "" || u.Scheme != "") {
			t.Fatalf("safeNext(%q) = %q leaves the site", next, got)
		}
	})
}
