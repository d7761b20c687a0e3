package dav

import (
	"strings"
)

// ifList is one parenthesised list of an If header (RFC 4918 §10.4): true
// when all its conditions hold for its resource (tag, or the request URI).
type ifList struct {
	tag   string // resource tag URL; empty for the request URI
	conds []ifCond
}

// ifCond is a state token or an entity tag, possibly negated.
type ifCond struct {
	not   bool
	token string // a lock token such as urn:uuid:…, or DAV:no-lock
	etag  string // with its quotes, as sent
}

// parseIf parses an If header. ok is false for a malformed one.
func parseIf(h string) (lists []ifList, ok bool) {
	s := strings.TrimSpace(h)
	tag := ""
	for s != "" {
		switch s[0] {
		case '<':
			end := strings.IndexByte(s, '>')
			if end < 0 {
				return nil, false
			}
			tag, s = s[1:end], strings.TrimSpace(s[end+1:])
			if !strings.HasPrefix(s, "(") {
				return nil, false // a tag needs at least one list
			}
		case '(':
			l, rest, ok := parseList(s[1:])
			if !ok {
				return nil, false
			}
			l.tag = tag
			lists, s = append(lists, l), strings.TrimSpace(rest)
		default:
			return nil, false
		}
	}
	return lists, len(lists) > 0
}

// parseList parses conditions up to the closing parenthesis.
func parseList(s string) (ifList, string, bool) {
	var l ifList
	for {
		s = strings.TrimSpace(s)
		if s == "" {
			return ifList{}, "", false
		}
		if s[0] == ')' {
			return l, s[1:], len(l.conds) > 0
		}
		var c ifCond
		if len(s) >= 3 && strings.EqualFold(s[:3], "not") {
			c.not, s = true, strings.TrimSpace(s[3:])
		}
		if s == "" {
			return ifList{}, "", false
		}
		var end int
		switch s[0] {
		case '<':
			end = strings.IndexByte(s, '>')
			if end < 0 {
				return ifList{}, "", false
			}
			c.token = s[1:end]
		case '[':
			end = strings.IndexByte(s, ']')
			if end < 0 {
				return ifList{}, "", false
			}
			c.etag = s[1:end]
		default:
			return ifList{}, "", false
		}
		l.conds, s = append(l.conds, c), s[end+1:]
	}
}

// tokens is every lock token an If header names: a lock token is
// "submitted" by appearing in the header (RFC 4918 §7.5, §10.4.1).
func tokens(lists []ifList) map[string]bool {
	out := map[string]bool{}
	for _, l := range lists {
		for _, c := range l.conds {
			if c.token != "" && !c.not {
				out[c.token] = true
			}
		}
	}
	return out
}

// sameETag compares entity tags, weakly (a W/ prefix is ignored).
func sameETag(a, b string) bool {
	return strings.TrimPrefix(a, "W/") == strings.TrimPrefix(b, "W/")
}
