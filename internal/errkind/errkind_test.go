package errkind

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindsSurviveWrapping(t *testing.T) {
	errNoGroup := New(NotFound, "no such group")
	err := fmt.Errorf("add member to %q: %w", "Bureau", errNoGroup)
	if !errors.Is(err, errNoGroup) || !errors.Is(err, NotFound) {
		t.Fatalf("%v: the sentinel or its kind is lost", err)
	}
	if errors.Is(err, Exists) || errors.Is(New(Exists, "x"), errNoGroup) {
		t.Fatal("a kind matched another kind's error")
	}
	if errNoGroup.Error() != "no such group" {
		t.Fatalf("message %q", errNoGroup.Error())
	}
}
