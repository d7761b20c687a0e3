package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"notreasso/internal/meta"
)

// SessionStorage keeps browser sessions in the database (fiber.Storage), so
// they survive restarts and are shared by every node. Expired rows are
// ignored on read and swept periodically.
//
// A row is keyed by the SHA-256 of the session id, never the id itself:
// whoever reads the database (a backup, a copy left on a laptop) cannot
// use a row as a cookie. The ids are random (fiber's UUIDs), so a fast
// hash is enough.
type SessionStorage struct {
	db  *meta.DB
	now func() time.Time
}

// NewSessionStorage builds the storage.
func NewSessionStorage(db *meta.DB) *SessionStorage {
	return &SessionStorage{db: db, now: time.Now}
}

// Get implements fiber.Storage: nil, nil when missing or expired.
func (s *SessionStorage) Get(key string) ([]byte, error) {
	var data []byte
	err := s.db.R.QueryRow(`SELECT data FROM sessions WHERE id = ? AND expires_at > ?`, sessionKey(key), s.now().UnixNano()).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return data, err
}

// Set implements fiber.Storage.
func (s *SessionStorage) Set(key string, val []byte, exp time.Duration) error {
	if key == "" || len(val) == 0 {
		return nil
	}
	if exp <= 0 {
		exp = 365 * 24 * time.Hour
	}
	_, err := s.db.W.Exec(`INSERT INTO sessions (id, data, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`,
		sessionKey(key), val, s.now().Add(exp).UnixNano())
	return err
}

// Delete implements fiber.Storage.
func (s *SessionStorage) Delete(key string) error {
	_, err := s.db.W.Exec(`DELETE FROM sessions WHERE id = ?`, sessionKey(key))
	return err
}

// Reset implements fiber.Storage.
func (s *SessionStorage) Reset() error {
	_, err := s.db.W.Exec(`DELETE FROM sessions`)
	return err
}

// Close implements fiber.Storage; the database is closed by its owner.
func (s *SessionStorage) Close() error { return nil }

// Sweep deletes expired sessions.
func (s *SessionStorage) Sweep(ctx context.Context) error {
	_, err := s.db.W.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, s.now().UnixNano())
	return err
}

// sessionKey is what a session id is stored as.
func sessionKey(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:])
}

// ServerKey returns the instance's secret called name (32 random bytes,
// for signing CSRF tokens…): made on first use and kept in the database,
// so every node sharing it signs and checks alike.
func (s *Service) ServerKey(ctx context.Context, name string) ([]byte, error) {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("make server key %s: %w", name, err)
	}
	if _, err := s.db.W.ExecContext(ctx, `INSERT INTO server_keys (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, k); err != nil {
		return nil, fmt.Errorf("store server key %s: %w", name, err)
	}
	if err := s.db.W.QueryRowContext(ctx, `SELECT value FROM server_keys WHERE name = ?`, name).Scan(&k); err != nil {
		return nil, fmt.Errorf("read server key %s: %w", name, err)
	}
	return k, nil
}
