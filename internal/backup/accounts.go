package backup

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
)

// Account is a user account as a snapshot or the running instance holds
// it: what decides who can sign in, and with which powers.
type Account struct {
	Login    string
	Role     string // admin, member, guest
	Disabled bool
	password string // hash: compared, never shown
}

func (a Account) String() string {
	s := a.Login + " (" + a.Role
	if a.Disabled {
		s += ", disabled"
	}
	return s + ")"
}

// readAccounts lists the accounts of the SQLite database at path.
func readAccounts(ctx context.Context, path string) ([]Account, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT login, role, disabled, password_hash FROM users ORDER BY login`)
	if err != nil {
		return nil, fmt.Errorf("list the accounts of %s: %w", path, err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		var a Account
		if err := rows.Scan(&a.Login, &a.Role, &a.Disabled, &a.password); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// accountChanges says, one line each, how restoring the accounts of a
// snapshot would change those of the running instance: accounts added or
// removed, roles and states changed, passwords that would change.
func accountChanges(current, snapshot []Account) []string {
	cur := map[string]Account{}
	for _, a := range current {
		cur[a.Login] = a
	}
	var out []string
	for _, s := range snapshot {
		c, ok := cur[s.Login]
		delete(cur, s.Login)
		switch {
		case !ok && s.Role == "admin":
			out = append(out, fmt.Sprintf("+ %s: an administrator account the running instance does not have", s))
		case !ok:
			out = append(out, fmt.Sprintf("+ %s: an account the running instance does not have", s))
		default:
			var what []string
			if c.Role != s.Role {
				what = append(what, fmt.Sprintf("role %s → %s", c.Role, s.Role))
			}
			if c.Disabled != s.Disabled {
				what = append(what, map[bool]string{true: "disabled → enabled", false: "enabled → disabled"}[c.Disabled])
			}
			if c.password != s.password {
				what = append(what, "a different password")
			}
			if len(what) > 0 {
				out = append(out, fmt.Sprintf("~ %s: %s", s.Login, strings.Join(what, ", ")))
			}
		}
	}
	var gone []string
	for _, c := range cur {
		gone = append(gone, fmt.Sprintf("- %s: not in the snapshot, would be removed", c))
	}
	sort.Strings(gone)
	return append(out, gone...)
}

// Admins lists the logins of the enabled administrators among accounts.
func Admins(accounts []Account) []string {
	var out []string
	for _, a := range accounts {
		if a.Role == "admin" && !a.Disabled {
			out = append(out, a.Login)
		}
	}
	return out
}
