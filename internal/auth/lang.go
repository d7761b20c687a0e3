package auth

import (
	"context"
	"fmt"
)

// SetLang stores an account's interface language ("fr", "en"; empty: the
// browser's).
func (s *Service) SetLang(ctx context.Context, userID int64, lang string) error {
	if len(lang) > 16 {
		return fmt.Errorf("%w: language code %q", ErrInvalid, lang)
	}
	if _, err := s.db.W.ExecContext(ctx, `UPDATE users SET lang = ? WHERE id = ?`, lang, userID); err != nil {
		return fmt.Errorf("set language of user %d: %w", userID, err)
	}
	return nil
}
