package web

import (
	"strings"
	"testing"
)

// The tokens the CSRF check accepts: a visitor's only with the instance's
// signature, a session's only for that session.
func TestCSRFTokens(t *testing.T) {
	key, other := []byte(strings.Repeat("k", 32)), []byte(strings.Repeat("o", 32))
	tok := newAnonCSRF(key)
	if !validAnonCSRF(key, tok) {
		t.Fatalf("own token refused: %q", tok)
	}
	if tok == newAnonCSRF(key) {
		t.Error("two visitors got the same token")
	}
	nonce := strings.Split(tok, ".")[1]
	// Change the nonce's first character (to one it is not: a fixed
	// replacement equals it once in 64 runs).
	tampered := "x" + nonce[1:]
	if nonce[0] == 'x' {
		tampered = "y" + nonce[1:]
	}
	for name, bad := range map[string]string{
		"other key":      newAnonCSRF(other),
		"unsigned":       "a." + nonce + ".",
		"no signature":   "a." + nonce,
		"session token":  sessionCSRF(key, "sid"),
		"tampered nonce": "a." + tampered + "." + strings.Split(tok, ".")[2],
		"empty":          "",
	} {
		if validAnonCSRF(key, bad) {
			t.Errorf("%s accepted as a visitor's token: %q", name, bad)
		}
	}
	if sessionCSRF(key, "sid-1") == sessionCSRF(key, "sid-2") || sessionCSRF(key, "sid-1") == sessionCSRF(other, "sid-1") {
		t.Error("session tokens do not depend on the session and the key")
	}
}
