package mail

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"notreasso/internal/errkind"
	"notreasso/internal/meta"
)

// The relay's settings as an administrator saves them from « Administration
// → E-mails » (table mail_relay, one row). A key set in the configuration
// file, the environment or a flag takes precedence and is shown locked,
// with where it was set. The relay reads the row when it connects, so a
// save applies to the next message on every server without a restart.

// ErrBadRelay is a relay setting the page refuses.
var ErrBadRelay = errkind.New(errkind.Invalid, "invalid mail relay setting")

// RelayFields are the settings the page edits, by configuration key.
var RelayFields = []string{"host", "port", "security", "username", "password", "from"}

// RelaySettings are the relay's settings in force (no password).
type RelaySettings struct {
	Host     string
	Port     int
	Security string
	Username string
	From     string
}

// RelayView is what the admin page shows: the settings in force, whether
// a password is set (never the password), and for each locked field where
// it was set.
type RelayView struct {
	RelaySettings
	HasPassword bool
	Locked      map[string]string // field (RelayFields) → file, variable or flag
	SavedAt     time.Time         // zero when never saved from the page
}

// Enabled reports whether a relay host is set.
func (v RelaySettings) Enabled() bool { return v.Host != "" }

// RelayChange is one save from the page. Locked fields are ignored.
// Password "" keeps the saved one unless ClearPassword.
type RelayChange struct {
	RelaySettings
	Password      string
	ClearPassword bool
}

// relayRow is the saved row.
type relayRow struct {
	RelaySettings
	Password string
	Version  int64
	At       time.Time
}

// effective is what the relay connects with.
type effective struct {
	RelaySettings
	Password string
	Version  int64
}

// lockedBy says where the configuration set field, if it did.
func (r *Relay) lockedBy(field string) (string, bool) {
	if r.origins == nil {
		// Built from a config.Mail alone (tests, the CLI): all of it counts.
		if r.cfg.Enabled() {
			return "configuration", true
		}
		return "", false
	}
	if field == "password" {
		if w, ok := r.origins.Of("mail.password_file"); ok {
			return w, true
		}
	}
	return r.origins.Of("mail." + field)
}

// load reads the saved row; ok false when there is none (or no database).
func (r *Relay) load(ctx context.Context) (row relayRow, ok bool, err error) {
	if r.db == nil {
		return row, false, nil
	}
	var at int64
	err = r.db.R.QueryRowContext(ctx, `SELECT host, port, security, username, password, sender, version, updated_at FROM mail_relay WHERE id = 1`).
		Scan(&row.Host, &row.Port, &row.Security, &row.Username, &row.Password, &row.From, &row.Version, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return row, false, nil
	}
	if err != nil {
		return row, false, fmt.Errorf("read the mail relay settings: %w", err)
	}
	row.At = time.Unix(at, 0)
	return row, true, nil
}

// current merges the saved row under the configuration's locked keys.
func (r *Relay) current(ctx context.Context) (effective, map[string]string, time.Time, error) {
	row, ok, err := r.load(ctx)
	if err != nil {
		return effective{}, nil, time.Time{}, err
	}
	e := effective{RelaySettings: RelaySettings{Port: r.cfg.Port, Security: r.cfg.Security}}
	if ok {
		e.RelaySettings, e.Password, e.Version = row.RelaySettings, row.Password, row.Version
	}
	locked := map[string]string{}
	lock := func(field string, set func()) {
		if w, ok := r.lockedBy(field); ok {
			locked[field] = w
			set()
		}
	}
	lock("host", func() { e.Host = r.cfg.Host })
	lock("port", func() { e.Port = r.cfg.Port })
	lock("security", func() { e.Security = r.cfg.Security })
	lock("username", func() { e.Username = r.cfg.Username })
	lock("from", func() { e.From = r.cfg.From })
	lock("password", func() { e.Password = r.password })
	return e, locked, row.At, nil
}

// View is the relay as the admin page shows it.
func (r *Relay) View(ctx context.Context) (RelayView, error) {
	e, locked, at, err := r.current(ctx)
	if err != nil {
		return RelayView{}, err
	}
	return RelayView{RelaySettings: e.RelaySettings, HasPassword: e.Password != "", Locked: locked, SavedAt: at}, nil
}

// Ready reports whether a relay is set (pages offer e-mail only then). An
// unreadable database counts as not ready.
func (r *Relay) Ready(ctx context.Context) bool {
	e, _, _, err := r.current(ctx)
	return err == nil && e.Enabled()
}

// Save checks and saves a change made by the administrator actor (an
// account id) and journals which fields changed (never the password).
// Locked fields keep the configuration's values.
func (r *Relay) Save(ctx context.Context, actor int64, now time.Time, c RelayChange) error {
	if r.db == nil {
		return fmt.Errorf("save the mail relay: no database")
	}
	row, _, err := r.load(ctx)
	if err != nil {
		return err
	}
	if !row.Enabled() && row.Version == 0 {
		row.Port, row.Security = r.cfg.Port, r.cfg.Security
	}
	next := row
	c.Host, c.Username, c.From = strings.TrimSpace(c.Host), strings.TrimSpace(c.Username), strings.TrimSpace(c.From)
	set := func(field string, apply func()) {
		if _, locked := r.lockedBy(field); !locked {
			apply()
		}
	}
	set("host", func() { next.Host = c.Host })
	set("port", func() { next.Port = c.Port })
	set("security", func() { next.Security = c.Security })
	set("username", func() { next.Username = c.Username })
	set("from", func() { next.From = c.From })
	set("password", func() {
		switch {
		case c.ClearPassword:
			next.Password = ""
		case c.Password != "":
			next.Password = c.Password
		}
	})
	if err := r.check(next); err != nil {
		return err
	}
	var changed []string
	for _, f := range []struct {
		name string
		diff bool
	}{{"host", next.Host != row.Host}, {"port", next.Port != row.Port}, {"security", next.Security != row.Security},
		{"username", next.Username != row.Username}, {"password", next.Password != row.Password}, {"from", next.From != row.From}} {
		if f.diff {
			changed = append(changed, f.name)
		}
	}
	var by any
	if actor != 0 {
		by = actor
	}
	return r.db.Tx(ctx, func(tx meta.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO mail_relay (id, host, port, security, username, password, sender, version, updated_at, updated_by)
			VALUES (1, ?, ?, ?, ?, ?, ?, 1, ?, ?)
			ON CONFLICT (id) DO UPDATE SET host = excluded.host, port = excluded.port, security = excluded.security,
				username = excluded.username, password = excluded.password, sender = excluded.sender,
				version = mail_relay.version + 1, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			next.Host, next.Port, next.Security, next.Username, next.Password, next.From, now.Unix(), by); err != nil {
			return fmt.Errorf("save the mail relay settings: %w", err)
		}
		// Messages waiting for a retry are due now: the new settings may be
		// the fix. (Abandoned ones wait for « Réessayer maintenant ».)
		if _, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET next_at = ? WHERE sent_at IS NULL AND failed_at IS NULL AND claimed_at IS NULL AND next_at > ?`,
			now.UnixNano(), now.UnixNano()); err != nil {
			return fmt.Errorf("make waiting mail due: %w", err)
		}
		return meta.AppendJournal(ctx, tx, meta.JournalEntry{At: now, Actor: actor, Action: "mail_settings",
			Details: map[string]any{"fields": strings.Join(changed, ", "), "host": next.Host}})
	})
}

// check refuses a setting the relay could not use, naming the field.
func (r *Relay) check(next relayRow) error {
	// The merged result is what must make sense (a locked host with a
	// sender saved here, say).
	host, from := next.Host, next.From
	if _, ok := r.lockedBy("host"); ok {
		host = r.cfg.Host
	}
	if _, ok := r.lockedBy("from"); ok {
		from = r.cfg.From
	}
	switch {
	case len(next.Host) > 253 || strings.ContainsAny(next.Host, " /:@"):
		return fmt.Errorf("%w: host %q is not a server name", ErrBadRelay, next.Host)
	case next.Port < 1 || next.Port > 65535:
		return fmt.Errorf("%w: port %d is not a port", ErrBadRelay, next.Port)
	case !slices.Contains(Securities, next.Security):
		return fmt.Errorf("%w: security %q is none of %v", ErrBadRelay, next.Security, Securities)
	case len(next.Username) > 254 || len(next.Password) > 1024 || len(next.From) > 512:
		return fmt.Errorf("%w: too long", ErrBadRelay)
	}
	if host != "" || from != "" {
		if a, err := mail.ParseAddress(from); err != nil || a.Address == "" {
			return fmt.Errorf("%w: sender %q is not an address", ErrBadRelay, from)
		}
	}
	return nil
}

// Version is the saved settings' version (0 for none): the sender
// compares it to the one it connected with.
func (r *Relay) Version(ctx context.Context) int64 {
	row, _, err := r.load(ctx)
	if err != nil {
		return -1
	}
	return row.Version
}
