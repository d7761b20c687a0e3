package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"unicode"
	"unicode/utf8"

	"notreasso/internal/acl"
)

// principalFor is the account a CLI command acts as (--as): its rights
// apply and the journal names it.
func principalFor(ctx context.Context, a *app, login string) (acl.Principal, error) {
	u, err := a.auth.UserByLogin(ctx, login)
	if err != nil {
		return acl.Principal{}, fmt.Errorf("--as %s: %w (see notreasso user list)", login, err)
	}
	return a.auth.Principal(ctx, u.ID)
}

// isTerminal reports whether f is an interactive terminal (progress bars
// only make sense there).
func isTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// printable shows a name as is if it can be printed, quoted otherwise
// (bytes that are not UTF-8, control characters).
func printable(s string) string {
	if !utf8.ValidString(s) {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// errFile is the command's standard error as a file, if it is one.
func errFile(cmd interface{ ErrOrStderr() io.Writer }) *os.File {
	if f, ok := cmd.ErrOrStderr().(*os.File); ok {
		return f
	}
	return nil
}
