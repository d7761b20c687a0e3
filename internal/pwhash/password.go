// Package pwhash hashes and checks passwords (argon2id) for accounts,
// app passwords and share links, with a bounded number of hashes at once:
// each needs a 19 MiB work area.
package pwhash

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes), a
// good fit for a small VPS where several logins may run at once.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// ErrBusy means every password-hashing slot stayed taken for longer than
// a request may wait: the caller answers 503 with Retry-After.
var ErrBusy = errors.New("too many password checks at once")

// BusyError is ErrBusy with the wait to suggest.
type BusyError struct{ RetryAfter time.Duration }

func (e *BusyError) Error() string {
	return fmt.Sprintf("%v; try again in %d s", ErrBusy, e.Seconds())
}

// Is makes errors.Is(err, ErrBusy) work.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// Seconds is the wait rounded up, at least 1 (for Retry-After).
func (e *BusyError) Seconds() int { return max(1, int((e.RetryAfter+time.Second-1)/time.Second)) }

// hashSlots bounds how many argon2id hashes run at once. Each needs a
// 19 MiB work area, so a flood of wrong passwords would otherwise take
// the memory of the machine. One slot per core (at most 4) keeps every
// core busy without queueing memory; more hashes at once would only share
// the same cores more slowly.
var hashSlots = make(chan struct{}, min(4, max(1, runtime.GOMAXPROCS(0))))

// QueueWait is how long a password check waits for a slot before the
// request is turned away (503): a real person retries, a flood costs
// nothing but waiting goroutines.
var QueueWait = 3 * time.Second

// Acquire takes a hashing slot, waiting at most wait (forever if
// wait <= 0) or until ctx ends.
func Acquire(ctx context.Context, wait time.Duration) (release func(), err error) {
	select {
	case hashSlots <- struct{}{}:
		return func() { <-hashSlots }, nil
	default:
	}
	var timeout <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case hashSlots <- struct{}{}:
		return func() { <-hashSlots }, nil
	case <-timeout:
		return nil, &BusyError{RetryAfter: wait}
	case <-ctx.Done():
		return nil, fmt.Errorf("wait to check a password: %w", ctx.Err())
	}
}

// Hash returns a PHC-style argon2id hash of pw. It waits for a
// hashing slot as long as ctx allows: hashing a new password is done by
// someone already trusted (an administrator, the account itself).
func Hash(ctx context.Context, pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	release, err := Acquire(ctx, 0)
	if err != nil {
		return "", err
	}
	key := argonKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	release()
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Check reports whether pw matches the hash. It waits at most
// QueueWait for a hashing slot, then fails with a *BusyError.
func Check(ctx context.Context, hash, pw string) (bool, error) {
	release, err := Acquire(ctx, QueueWait)
	if err != nil {
		return false, err
	}
	defer release()
	return CheckHeld(hash, pw)
}

// CheckHeld is Check for a caller holding a hashing slot.
func CheckHeld(hash, pw string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("unknown password hash format")
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, fmt.Errorf("parse password hash: %w", err)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("parse password hash: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("parse password hash: %w", err)
	}
	got := argonKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// Random returns a password easy to copy: 20 characters from an
// alphabet without look-alikes.
func Random() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Slots is how many hashes may run at once.
func Slots() int { return cap(hashSlots) }
