package auth

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"time"
)

// ReminderDays is how long before its end a term's holder and the
// administrators are reminded of it.
const ReminderDays = 30

// TermNotifier tells people that a term of office ends soon: its holder
// and the administrators. It is called once per term (per end date), from
// the reminder job, never from a request; an error leaves the reminder for
// the next pass. The in-app notices (the holder's account page, the roles
// page) and the journal entry do not depend on it.
type TermNotifier interface {
	TermEnding(ctx context.Context, t Term, days int) error
}

// LogTermNotifier only logs: the default until outgoing mail is wired in.
type LogTermNotifier struct{ Log *slog.Logger }

func (n LogTermNotifier) TermEnding(ctx context.Context, t Term, days int) error {
	if n.Log != nil {
		n.Log.InfoContext(ctx, "term of office ends soon", "role", t.Office, "login", t.Login, "end", t.End, "days", days)
	}
	return nil
}

// DaysLeft is how many days, rounded up, remain of a term at now.
func DaysLeft(t Term, now time.Time) int {
	if t.End.IsZero() {
		return -1
	}
	return int(math.Ceil(t.End.Sub(now).Hours() / 24))
}

// RemindTermsEnding hands every current term ending within ReminderDays
// whose reminder has not gone out to n, once (claimed in the database, so
// servers sharing it do not both send), and returns how many went out.
func (s *Service) RemindTermsEnding(ctx context.Context, n TermNotifier) (int, error) {
	ts, err := s.TermsEnding(ctx, ReminderDays*24*time.Hour)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, t := range ts {
		days := DaysLeft(t, s.now())
		ok, err := s.ClaimReminder(ctx, t, days)
		if err != nil {
			return sent, err
		}
		if !ok {
			continue
		}
		if err := n.TermEnding(ctx, t, days); err != nil {
			if rerr := s.ReleaseReminder(ctx, t.ID); rerr != nil {
				s.log.Error("release a term reminder", "term", t.ID, "err", rerr)
			}
			return sent, fmt.Errorf("remind %s of the end of their term as %s: %w", t.Login, t.Office, err)
		}
		sent++
	}
	return sent, nil
}
