package web

import (
	"errors"

	"notreasso/internal/repo"
)

// nameErrorKey is the message key (err.<key>) of a refused name after a
// form, or "" when err is not about a name.
func nameErrorKey(err error) string {
	var ne *repo.NameError
	if !errors.As(err, &ne) {
		return ""
	}
	return "name_" + ne.Rule
}

// nameErrorMessage says, in the visitor's language, which name was refused
// and by which rule (for the API and the uploads' script); "" when err is
// not about a name.
func nameErrorMessage(l *Locale, err error) string {
	var ne *repo.NameError
	if !errors.As(err, &ne) {
		return ""
	}
	id := "err.name_msg_" + ne.Rule
	if ne.Rule == repo.RuleCase && ne.Other == "" {
		id = "err.name_msg_case_hidden"
	}
	return l.T(id, "Name", ne.Shown(), "Char", ne.Culprit(), "Other", (&repo.NameError{Name: ne.Other}).Shown())
}
