package intake

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"notreasso/internal/repo"
)

// FallbackRule applies when no rule of an account matches: attachments go
// to « Courriels reçus » (the mail itself when it has none).
var FallbackRule = repo.IntakeRule{Match: repo.MatchDefault, Folder: "/Courriels reçus", KeepAttachments: true}

// decision is where a message goes.
type decision struct {
	rule       repo.IntakeRule
	ruleIndex  int // from 1; 0 for the fallback or the quarantine
	quarantine bool
}

// decide applies an account's allow-list and rules to a message header:
// a sender not on the allow-list goes to quarantine (mail and attachments,
// no tags); otherwise the first matching rule wins.
func decide(a repo.IntakeAccount, h Header) decision {
	if !a.AllowedSender(h.From) {
		return decision{rule: repo.IntakeRule{Match: repo.MatchDefault, Folder: a.Quarantine, KeepMail: true, KeepAttachments: true}, quarantine: true}
	}
	for i, r := range a.Rules {
		if matches(r, h) {
			return decision{rule: r, ruleIndex: i + 1}
		}
	}
	return decision{rule: FallbackRule}
}

func matches(r repo.IntakeRule, h Header) bool {
	v := strings.ToLower(strings.TrimSpace(r.Value))
	switch r.Match {
	case repo.MatchDefault:
		return true
	case repo.MatchRecipient:
		for _, rc := range h.Recipients {
			if recipientMatches(v, rc) {
				return true
			}
		}
	case repo.MatchSender:
		return senderMatches(v, h.From)
	case repo.MatchSubject:
		subject := fold(h.Subject)
		for _, w := range strings.Fields(fold(v)) {
			if !strings.Contains(subject, w) {
				return false
			}
		}
		return v != ""
	}
	return false
}

// recipientMatches: "asso+compta@x.fr" is that address; "compta" or
// "+compta" is the plus tag of any address ("asso+compta@…").
func recipientMatches(v, addr string) bool {
	if strings.Contains(v, "@") {
		return v == addr
	}
	tag := strings.TrimPrefix(v, "+")
	local, _, _ := strings.Cut(addr, "@")
	_, plus, ok := strings.Cut(local, "+")
	return ok && plus == tag
}

// senderMatches: an address, "@domain" or "domain" (subdomains too).
func senderMatches(v, from string) bool {
	if strings.Contains(v, "@") && !strings.HasPrefix(v, "@") {
		return v == from
	}
	v = strings.TrimPrefix(v, "@")
	_, domain, _ := strings.Cut(from, "@")
	return domain == v || strings.HasSuffix(domain, "."+v)
}

// fold lowers s and strips its accents: « Électricité » matches « electricite ».
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}
