package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"notreasso/internal/meta"
	"sync"
	"time"
)

// A WebDAV client or sync app sends its login and secret with every
// request: a first sync is thousands of them a minute. Checking them reads
// the account with its groups and terms of office, then the app password,
// and may note the app password's use (a write), which together cost more
// than a small upload's own work. So a successful check is remembered, and
// a request with the same login and secret reads one row instead: the
// authentication generation.
//
// Every transaction that changes accounts, groups, roles, terms or app
// passwords goes through s.tx, which gives that row a new random value in
// the same transaction. A remembered check counts only while the row holds
// the value read before the check was made (on SQLite, a stamp beside the
// database says whether it still does, for one system call; see
// meta.Stamp), so a password changed, an app password revoked, an account
// disabled or demoted, or a group left, on this server, another one
// sharing the database or the command line, counts at the next request,
// as it did without the memory. The rest of
// what a check depends on is time: the principal's Until (a term of office
// starting or ending), and deviceTTL, past which a secret is checked again
// whatever happened. Failed checks are never remembered: a wrong secret
// always reaches the throttle.

// deviceTTL bounds how long a checked secret is remembered.
const deviceTTL = credentialTTL

// maxDevices bounds the remembered checks; past it they are all forgotten.
const maxDevices = 4096

type deviceEntry struct {
	d       Device
	gen     int64     // the authentication generation the check was made at
	checked time.Time // the service clock's time of the check
}

type deviceCache struct {
	mu sync.Mutex
	m  map[[32]byte]deviceEntry
}

// deviceKey names a login and secret without keeping the secret.
func deviceKey(login, secret string) [32]byte {
	h := sha256.New()
	h.Write([]byte(login))
	h.Write([]byte{0})
	h.Write([]byte(secret))
	var k [32]byte
	h.Sum(k[:0])
	return k
}

func (c *deviceCache) get(k [32]byte, gen int64, now time.Time) (Device, bool) {
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	switch {
	case !ok, e.gen != gen, now.Before(e.checked), now.Sub(e.checked) > deviceTTL:
		return Device{}, false
	case !e.d.Principal.Until.IsZero() && !now.Before(e.d.Principal.Until):
		return Device{}, false
	}
	return e.d, true
}

func (c *deviceCache) put(k [32]byte, d Device, gen int64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxDevices {
		c.m = map[[32]byte]deviceEntry{}
	}
	c.m[k] = deviceEntry{d: d, gen: gen, checked: now}
}

// clear forgets every remembered check (a setting that changes what a
// secret may do, such as app passwords only, was changed).
func (c *deviceCache) clear() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}

// generationStamp names the stamp (meta.Stamp) that announces the
// authentication generation to every process using a SQLite database, so
// a repeated check costs one system call instead of a read transaction.
const generationStamp = "auth"

// generation is the authentication generation: the value remembered while
// the stamp still holds it, otherwise read from the database.
func (s *Service) generation(ctx context.Context) (int64, error) {
	if g, ok := s.genStamp.Current(); ok {
		return g, nil
	}
	var g int64
	if err := s.db.R.QueryRowContext(ctx, `SELECT value FROM auth_generation WHERE id = 1`).Scan(&g); err != nil {
		return 0, fmt.Errorf("read the authentication generation: %w", err)
	}
	s.genStamp.Remember(g)
	return g, nil
}

// RenewGeneration gives the authentication generation a new value, and
// announces it, as a change of accounts would: a server calls it as it
// starts, so that its repeated checks read the stamp rather than the
// database from the first request, even where the stamp was never
// written (a database from before it) or its last announcement was not
// committed. Checks remembered by other servers are made again once. On
// PostgreSQL, which has no stamp, it does nothing.
func (s *Service) RenewGeneration(ctx context.Context) error {
	if s.genStamp == nil {
		return nil
	}
	return s.tx(ctx, func(meta.Tx) error { return nil })
}

// tx runs fn in a write transaction that also gives the authentication
// generation a new value, announced before the commit. Every write of
// accounts, groups, roles, terms and app passwords goes through it.
func (s *Service) tx(ctx context.Context, fn func(tx meta.Tx) error) error {
	return s.db.Tx(ctx, func(tx meta.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		var b [8]byte
		rand.Read(b[:])
		g := int64(binary.LittleEndian.Uint64(b[:]) >> 1)
		if _, err := tx.ExecContext(ctx, `UPDATE auth_generation SET value = ? WHERE id = 1`, g); err != nil {
			return fmt.Errorf("move the authentication generation on: %w", err)
		}
		if err := s.genStamp.Announce(g); err != nil {
			return fmt.Errorf("announce the authentication generation: %w", err)
		}
		return nil
	})
}
