package dav

import (
	"reflect"
	"testing"
)

func TestParseIf(t *testing.T) {
	tests := []struct {
		h    string
		want []ifList // nil: malformed
	}{
		{`(<urn:na:a>)`, []ifList{{conds: []ifCond{{token: "urn:na:a"}}}}},
		{`(<urn:na:a> ["e1"]) (Not <DAV:no-lock> ["e1"])`, []ifList{
			{conds: []ifCond{{token: "urn:na:a"}, {etag: `"e1"`}}},
			{conds: []ifCond{{not: true, token: "DAV:no-lock"}, {etag: `"e1"`}}},
		}},
		{`<http://h/dav/a> (<urn:na:a>) (["W/x"]) </dav/b> (not <urn:na:b>)`, []ifList{
			{tag: "http://h/dav/a", conds: []ifCond{{token: "urn:na:a"}}},
			{tag: "http://h/dav/a", conds: []ifCond{{etag: `"W/x"`}}},
			{tag: "/dav/b", conds: []ifCond{{not: true, token: "urn:na:b"}}},
		}},
		{`  ( [W/"w"] )  `, []ifList{{conds: []ifCond{{etag: `W/"w"`}}}}},
		{``, nil},
		{`()`, nil},
		{`(<urn:na:a>`, nil},
		{`(<urn:na:a)`, nil},
		{`("e")`, nil},
		{`<http://h/a>`, nil},
		{`<http://h/a> x`, nil},
		{`(Not)`, nil},
		{`urn:na:a`, nil},
	}
	for _, tt := range tests {
		got, ok := parseIf(tt.h)
		if ok != (tt.want != nil) || (ok && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("parseIf(%q) = %+v, %v; want %+v", tt.h, got, ok, tt.want)
		}
	}
}

func FuzzParseIf(f *testing.F) {
	for _, s := range []string{`(<urn:na:a> ["e"])`, `<http://h/a> (Not <DAV:no-lock>)`, `((`, `[`, `<>`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		lists, ok := parseIf(h)
		if ok && len(lists) == 0 {
			t.Errorf("parseIf(%q) accepted an empty header", h)
		}
		for _, l := range lists {
			if len(l.conds) == 0 {
				t.Errorf("parseIf(%q) accepted an empty list", h)
			}
		}
	})
}
