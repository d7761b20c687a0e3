package mail

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// Unsubscribe scopes: what one link turns off.
const (
	ScopeDigest = "digest" // the digest of followed folders, tags and collections
	ScopeShares = "shares" // « X shared a folder with you »
	ScopeDrops  = "drops"  // « a file was dropped into your drop box »
)

// ErrBadToken means an unsubscribe link was altered or is not ours.
var ErrBadToken = errors.New("mail: unknown unsubscribe link")

// Tokens signs unsubscribe links: the link alone (no login) proves which
// account and what to turn off, and cannot be forged for another account.
type Tokens struct{ key []byte }

// NewTokens signs with key (the server key "mail", shared by every node).
func NewTokens(key []byte) *Tokens { return &Tokens{key: key} }

// Sign makes the link token for an account and scope.
func (t *Tokens) Sign(uid int64, scope string) string {
	payload := strconv.FormatInt(uid, 10) + "." + scope
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + t.mac(payload)
}

// Verify returns the account and scope of a token.
func (t *Tokens) Verify(token string) (int64, string, error) {
	p64, mac, ok := strings.Cut(token, ".")
	if !ok {
		return 0, "", ErrBadToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(p64)
	if err != nil {
		return 0, "", ErrBadToken
	}
	payload := string(raw)
	if !hmac.Equal([]byte(mac), []byte(t.mac(payload))) {
		return 0, "", ErrBadToken
	}
	id, scope, _ := strings.Cut(payload, ".")
	uid, err := strconv.ParseInt(id, 10, 64)
	if err != nil || uid <= 0 {
		return 0, "", ErrBadToken
	}
	switch scope {
	case ScopeDigest, ScopeShares, ScopeDrops:
		return uid, scope, nil
	}
	return 0, "", ErrBadToken
}

func (t *Tokens) mac(payload string) string {
	h := hmac.New(sha256.New, t.key)
	h.Write([]byte("unsubscribe\x00" + payload))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:18])
}
