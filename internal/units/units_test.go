package units

import (
	"testing"

	"golang.org/x/text/language"
)

func TestSize(t *testing.T) {
	for _, c := range []struct {
		tag  language.Tag
		n    int64
		want string
	}{
		{language.English, 0, "0 B"},
		{language.English, 1023, "1,023 B"},
		{language.English, 1536, "1.5 KB"},
		{language.English, 150 << 20, "150 MB"},
		{language.French, 1536, "1,5 Ko"},
		{language.French, 3 << 30, "3 Go"},
	} {
		if got := Size(c.tag, c.n); got != c.want {
			t.Errorf("Size(%v, %d) = %q, want %q", c.tag, c.n, got, c.want)
		}
	}
}
