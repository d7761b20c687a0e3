package mail

import (
	"context"
	"errors"
	"fmt"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
)

// TermReminders queues the end-of-term reminders (auth.TermNotifier): to
// the holder, and to every active administrator with the holder named. A
// notice is queued once per person and term end (TermEnding.Key), so a
// retried pass sends nothing twice.
type TermReminders struct {
	Mailer *Mailer
	Auth   *auth.Service
}

var _ auth.TermNotifier = TermReminders{}

// TermEnding queues the reminders of t, which ends in days days.
func (r TermReminders) TermEnding(ctx context.Context, t auth.Term, days int) error {
	users, err := r.Auth.Users(ctx)
	if err != nil {
		return fmt.Errorf("term reminder: %w", err)
	}
	key := fmt.Sprintf("%d:%d", t.ID, t.End.Unix())
	var errs []error
	for _, u := range users {
		if u.Disabled {
			continue
		}
		var n TermEnding
		switch {
		case t.UserID != 0 && u.ID == t.UserID:
			n = TermEnding{Role: t.Office, Ends: t.End, Key: key}
		case u.Role == acl.Admin:
			n = TermEnding{Role: t.Office, Ends: t.End, Holder: t.Holder(), Key: key}
		default:
			continue
		}
		to := Recipient{UserID: u.ID, Login: u.Login, Name: u.DisplayName, Email: u.Email, Lang: u.Lang}
		if err := r.Mailer.Notify(ctx, to, n); err != nil {
			errs = append(errs, fmt.Errorf("term reminder to %s: %w", u.Login, err))
		}
	}
	return errors.Join(errs...)
}
