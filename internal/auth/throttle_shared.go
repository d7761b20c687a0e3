package auth

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"notreasso/internal/meta"
	"time"
)

// The throttle's counters in the database, for servers sharing one
// PostgreSQL database: an attacker spreading attempts over N servers
// behind a load balancer gets the attempts of one, not N times as many.
// Each change is a read-modify-write in one write transaction, so two
// servers counting at once never lose a failure.

// dbTimeout bounds a throttle query: the throttle must not hold a login
// longer than the login itself would take.
const dbTimeout = 10 * time.Second

func (t *Throttle) waitShared(ip, account string) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	now := t.now()
	keys := []string{"ip|" + ip, "acct-ip|" + account + "|" + ip, "acct|" + account}
	var seen sql.NullInt64
	err := t.shared.R.QueryRowContext(ctx, `SELECT at FROM login_known WHERE key = ?`, account+"|"+ip).Scan(&seen)
	if err == nil && now.Sub(time.Unix(0, seen.Int64)) <= knownIPTTL {
		keys = keys[:2] // an address the account logged in from: no per-account ceiling
	}
	var wait time.Duration
	for _, k := range keys {
		var until int64
		if err := t.shared.R.QueryRowContext(ctx, `SELECT until_at FROM login_strikes WHERE key = ?`, k).Scan(&until); err != nil {
			continue // no row: no failures (a database error lets the password check decide)
		}
		if d := time.Unix(0, until).Sub(now); d > wait {
			wait = d
		}
	}
	return wait
}

func (t *Throttle) failShared(ip, account string) {
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	now := t.now()
	err := t.shared.Tx(ctx, func(tx meta.Tx) error {
		for _, c := range []struct {
			key string
			r   rule
			ip  string
		}{{"ip|" + ip, ruleIP, ""}, {"acct-ip|" + account + "|" + ip, ruleAccountIP, ""}, {"acct|" + account, ruleAccount, ip}} {
			s, err := loadStrike(ctx, tx, c.key)
			if err != nil {
				return err
			}
			s = c.r.count(s, now, c.ip)
			ips, _ := json.Marshal(keysOf(s.ips))
			if _, err := tx.ExecContext(ctx, `INSERT INTO login_strikes (key, fails, last_at, until_at, ips) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (key) DO UPDATE SET fails = excluded.fails, last_at = excluded.last_at, until_at = excluded.until_at, ips = excluded.ips`,
				c.key, s.fails, s.last.UnixNano(), s.until.UnixNano(), string(ips)); err != nil {
				return err
			}
		}
		// Counters quiet for an hour and not holding anyone back are forgotten.
		_, err := tx.ExecContext(ctx, `DELETE FROM login_strikes WHERE last_at < ? AND until_at < ?`,
			now.Add(-time.Hour).UnixNano(), now.UnixNano())
		return err
	})
	if err != nil {
		t.log().Error("count a failed login", "err", err)
	}
}

func (t *Throttle) succeedShared(ip, account string) {
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	now := t.now()
	err := t.shared.Tx(ctx, func(tx meta.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_strikes WHERE key = ?`, "acct-ip|"+account+"|"+ip); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_known (key, at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET at = excluded.at`,
			account+"|"+ip, now.UnixNano()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM login_known WHERE at < ?`, now.Add(-knownIPTTL).UnixNano())
		return err
	})
	if err != nil {
		t.log().Error("record a successful login", "err", err)
	}
}

func loadStrike(ctx context.Context, tx meta.Tx, key string) (*strike, error) {
	var fails int
	var last, until int64
	var ips string
	err := tx.QueryRowContext(ctx, `SELECT fails, last_at, until_at, ips FROM login_strikes WHERE key = ?`, key).Scan(&fails, &last, &until, &ips)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s := &strike{fails: fails, last: time.Unix(0, last), until: time.Unix(0, until)}
	var list []string
	if json.Unmarshal([]byte(ips), &list) == nil && len(list) > 0 {
		s.ips = map[string]struct{}{}
		for _, ip := range list {
			s.ips[ip] = struct{}{}
		}
	}
	return s, nil
}

func keysOf(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
