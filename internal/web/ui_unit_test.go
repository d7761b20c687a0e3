package web

import (
	"testing"
	"time"

	"golang.org/x/text/language"
)

func TestLocaleFormats(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	fr, en := cat.locale(language.French), cat.locale(language.English)
	when := time.Date(2026, 11, 28, 19, 5, 0, 0, time.Local)
	tests := []struct {
		name, got, want string
	}{
		{"fr bytes", fr.Size(512), "512 o"},
		{"fr MB", fr.Size(1572864), "1,5 Mo"},
		{"en MB", en.Size(1572864), "1.5 MB"},
		{"fr GB", fr.Size(5 << 30), "5 Go"},
		{"en big KB", en.Size(200 << 10), "200 KB"},
		{"fr number", fr.Num(1234567), "1\u00a0234\u00a0567"},
		{"en number", en.Num(1234567), "1,234,567"},
		{"fr date", fr.Date(when), "28 nov. 2026 à 19:05"},
		{"en date", en.Date(when), "Nov 28, 2026, 7:05 PM"},
		{"fr day", fr.Day(when), "28 nov. 2026"},
		{"fr plural one", fr.T("search.total", "Count", 1), "1 résultat"},
		{"en plural other", en.T("search.total", "Count", 3), "3 results"},
		{"missing id", en.T("no.such.message"), "no.such.message"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestPickLanguageAndHelpers(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{{"fr", true}, {"en-GB", true}, {"de", false}, {"", false}} {
		if _, ok := supported(tt.in); ok != tt.want {
			t.Errorf("supported(%q) = %v", tt.in, ok)
		}
	}
	for in, want := range map[string]string{
		"/browse/x":       "/browse/x",
		"//evil.example":  "/browse/",
		"https://evil":    "/browse/",
		"/\\evil.example": "/browse/",
		"javascript:x":    "/browse/",
		"":                "/browse/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
	for _, tt := range []struct {
		h       string
		a, b, n int64
		ok      bool
	}{
		{"bytes 0-9/100", 0, 9, 100, true},
		{"bytes 90-99/100", 90, 99, 100, true},
		{"bytes 90-100/100", 0, 0, 0, false},
		{"bytes 5-4/100", 0, 0, 0, false},
		{"bytes */100", 0, 0, 0, false},
		{"0-9/100", 0, 0, 0, false},
	} {
		a, b, n, ok := parseContentRange(tt.h)
		if ok != tt.ok || (ok && (a != tt.a || b != tt.b || n != tt.n)) {
			t.Errorf("parseContentRange(%q) = %d %d %d %v", tt.h, a, b, n, ok)
		}
	}
}
