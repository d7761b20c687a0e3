package repo

import (
	"path"
	"time"
)

// EventGroup is consecutive events of one kind, by one person, in one
// folder, close in time: "marie added 12 files to /Photos" is one line.
type EventGroup struct {
	Event            // the most recent of the group
	Since  time.Time // the oldest of the group
	Count  int       // how many events it stands for
	Folder string    // the folder they happened in
	Paths  []string
}

// groupGap is how far apart two consecutive events of a group may be.
const groupGap = 10 * time.Minute

// groupable actions are those that come in bursts (imports, clean-ups).
var groupable = map[string]bool{"create": true, "version": true, "mkdir": true, "move": true, "copy": true,
	"delete": true, "restore": true, "tag": true}

// GroupEvents folds a newest-first list of events into groups.
func GroupEvents(evs []Event) []EventGroup {
	var out []EventGroup
	for _, e := range evs {
		folder := path.Dir(e.Path)
		if n := len(out); n > 0 && e.NodeID != 0 {
			g := &out[n-1]
			if groupable[e.Action] && g.NodeID != 0 && g.Actor == e.Actor && g.Action == e.Action && g.Folder == folder && g.Since.Sub(e.At) <= groupGap {
				g.Count++
				g.Since = e.At
				g.Paths = append(g.Paths, e.Path)
				continue
			}
		}
		out = append(out, EventGroup{Event: e, Since: e.At, Count: 1, Folder: folder, Paths: []string{e.Path}})
	}
	return out
}

// FeedEvents strips feed events down to events, for grouping.
func FeedEvents(fe []FeedEvent) []Event {
	out := make([]Event, len(fe))
	for i, e := range fe {
		out[i] = e.Event
	}
	return out
}
