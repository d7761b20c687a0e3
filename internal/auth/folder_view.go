package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Folder views a person can choose.
const (
	ViewList = ""     // the table, with sizes and dates
	ViewGrid = "grid" // thumbnails
)

// FolderView returns how the account likes folders shown.
func (s *Service) FolderView(ctx context.Context, userID int64) (string, error) {
	var v string
	err := s.db.R.QueryRowContext(ctx, `SELECT folder_view FROM users WHERE id = ?`, userID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return ViewList, nil
	}
	if err != nil {
		return "", fmt.Errorf("read folder view of user %d: %w", userID, err)
	}
	return v, nil
}

// SetFolderView stores how the account likes folders shown.
func (s *Service) SetFolderView(ctx context.Context, userID int64, view string) error {
	if view != ViewList && view != ViewGrid {
		return fmt.Errorf("%w: folder view %q", ErrInvalid, view)
	}
	if _, err := s.db.W.ExecContext(ctx, `UPDATE users SET folder_view = ? WHERE id = ?`, view, userID); err != nil {
		return fmt.Errorf("set folder view of user %d: %w", userID, err)
	}
	return nil
}
