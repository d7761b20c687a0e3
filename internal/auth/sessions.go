package auth

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"notreasso/internal/meta"
)

// SessionStorage keeps browser sessions in the database (fiber.Storage), so
// they survive restarts. Expired rows are ignored on read and swept
// periodically.
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
	err := s.db.R.QueryRow(`SELECT data FROM sessions WHERE id = ? AND expires_at > ?`, key, s.now().UnixNano()).Scan(&data)
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
		key, val, s.now().Add(exp).UnixNano())
	return err
}

// Delete implements fiber.Storage.
func (s *SessionStorage) Delete(key string) error {
	_, err := s.db.W.Exec(`DELETE FROM sessions WHERE id = ?`, key)
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
