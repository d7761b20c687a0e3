package repo

import (
	"testing"
	"time"
)

func TestActivityGroupEvents(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	ev := func(min int, actor, action, path string) Event {
		return Event{NodeID: 1, At: t0.Add(-time.Duration(min) * time.Minute), Actor: actor, Action: action, Path: path}
	}
	evs := []Event{ev(0, "marie", "create", "/Photos/3.jpg"), ev(1, "marie", "create", "/Photos/2.jpg"),
		ev(2, "marie", "create", "/Photos/1.jpg"), ev(3, "paul", "create", "/Photos/0.jpg"),
		ev(4, "marie", "create", "/Photos/x.jpg"), ev(30, "marie", "create", "/Photos/old.jpg"),
		ev(31, "marie", "grant_add", "/Photos"), ev(32, "marie", "grant_add", "/Photos")}
	gs := GroupEvents(evs)
	var counts []int
	for _, g := range gs {
		counts = append(counts, g.Count)
	}
	if len(gs) != 6 || gs[0].Count != 3 || gs[0].Folder != "/Photos" || gs[0].Path != "/Photos/3.jpg" || !gs[0].Since.Equal(evs[2].At) {
		t.Fatalf("groups %v: %+v", counts, gs)
	}
}
