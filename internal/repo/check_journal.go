package repo

import (
	"context"
	"encoding/json"
	"fmt"
)

// journalDetails are the fields of journal details check relies on.
type journalDetails struct {
	Path    string  `json:"path"`
	Version int     `json:"version"`
	Blob    string  `json:"blob"`
	IDs     []int64 `json:"ids"` // purge_trash: every node removed
	// copy: how many nodes were created, ids from the entry's node on (a
	// collection's items are a list of ids under the same name: ignored).
	Nodes   json.RawMessage `json:"nodes"`
	Removed []struct {
		Version int `json:"version"`
	} `json:"removed"` // purge_versions
}

type nodeState struct {
	exists, deleted, file bool
	parent                int64
	blob                  string // current content
}

type journalState struct {
	created     bool   // create, mkdir or copy of this very node
	copied      bool   // copy: its subtree came with it
	moved       bool   // it existed to be moved
	lastTrash   string // delete or restore
	lastContent string // blob of the last create/version/restore_version, "" after a copy
	versions    map[int]bool
	purgedVers  map[int]bool
}

// journal checks that the journal tells the story of the tree as it is:
// what it says was created exists (unless purged), what it says is in the
// trash is, a file's content is what its last save recorded, and versions
// it mentions exist unless a purge removed them.
func (c *checker) journal(ctx context.Context) error {
	nodes := map[int64]*nodeState{}
	rows, err := c.db.QueryContext(ctx, `SELECT n.id, COALESCE(n.parent_id, 0), n.deleted_at IS NOT NULL, n.kind = 'file', COALESCE(v.blob, '')
		FROM nodes n LEFT JOIN versions v ON v.id = n.current_version_id`)
	if err != nil {
		return fmt.Errorf("read nodes: %w", err)
	}
	for rows.Next() {
		var id int64
		n := &nodeState{exists: true}
		if err := rows.Scan(&id, &n.parent, &n.deleted, &n.file, &n.blob); err != nil {
			rows.Close()
			return err
		}
		nodes[id] = n
	}
	rows.Close()
	versions := map[[2]int64]bool{}
	rows, err = c.db.QueryContext(ctx, `SELECT node_id, number FROM versions`)
	if err != nil {
		return fmt.Errorf("read versions: %w", err)
	}
	for rows.Next() {
		var id, num int64
		if err := rows.Scan(&id, &num); err != nil {
			rows.Close()
			return err
		}
		versions[[2]int64{id, num}] = true
	}
	rows.Close()

	state := map[int64]*journalState{}
	get := func(id int64) *journalState {
		if s, ok := state[id]; ok {
			return s
		}
		s := &journalState{versions: map[int]bool{}, purgedVers: map[int]bool{}}
		state[id] = s
		return s
	}
	purged := map[int64]bool{}
	var copies [][2]int64 // id ranges [from, to) created by copies
	rows, err = c.db.QueryContext(ctx, `SELECT seq, node_id, action, details FROM journal WHERE node_id IS NOT NULL ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("read journal: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq, id int64
		var action, raw string
		if err := rows.Scan(&seq, &id, &action, &raw); err != nil {
			return err
		}
		c.rep.JournalEntries++
		var d journalDetails
		if err := json.Unmarshal([]byte(raw), &d); err != nil {
			c.add(CheckFinding{CheckError, "journal-unreadable", fmt.Sprintf("journal entry %d", seq), err.Error(), ""})
			continue
		}
		s := get(id)
		if purged[id] && (action == "create" || action == "mkdir" || action == "copy") {
			// SQLite reuses the highest id once its node is purged: this
			// is another node, with a history of its own.
			delete(purged, id)
			s = &journalState{versions: map[int]bool{}, purgedVers: map[int]bool{}}
			state[id] = s
		}
		switch action {
		case "create", "version", "restore_version":
			s.created = s.created || action == "create"
			s.lastContent = d.Blob
			if d.Version > 0 {
				s.versions[d.Version] = true
			}
		case "mkdir":
			s.created = true
		case "copy":
			s.created, s.copied, s.lastContent = true, true, ""
			var made int64
			if json.Unmarshal(d.Nodes, &made) == nil && made > 0 {
				copies = append(copies, [2]int64{id, id + made})
			}
		case "move":
			s.moved = true
		case "delete", "restore":
			s.lastTrash = action
		case "purge_trash":
			for _, pid := range d.IDs {
				purged[pid] = true
			}
		case "purge_versions":
			for _, r := range d.Removed {
				s.purgedVers[r.Version] = true
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	c.compare(nodes, state, purged, versions, copies)
	return nil
}

func (c *checker) compare(nodes map[int64]*nodeState, state map[int64]*journalState, purged map[int64]bool, versions map[[2]int64]bool, copies [][2]int64) {
	copied := func(id int64) bool {
		for _, r := range copies {
			if id >= r[0] && id < r[1] {
				return true
			}
		}
		// Copies journaled before they counted their nodes.
		return c.copiedAncestor(id, nodes, state)
	}
	for id, s := range state {
		n, ok := nodes[id]
		if !ok {
			if s.created && !purged[id] {
				c.add(CheckFinding{CheckError, "journal-node-missing", fmt.Sprintf("node %d", id), "the journal records its creation, the tree does not have it and no purge removed it", ""})
			}
			continue
		}
		if s.lastTrash != "" && n.deleted != (s.lastTrash == "delete") {
			c.add(CheckFinding{CheckError, "journal-trash-state", c.name(id), fmt.Sprintf("the journal's last word is %q, the tree says in the trash = %v", s.lastTrash, n.deleted), ""})
		}
		if n.file && s.lastContent != "" && n.blob != "" && n.blob != s.lastContent {
			c.add(CheckFinding{CheckError, "journal-content", c.name(id), fmt.Sprintf("current content %.12s…, the last save recorded %.12s…", n.blob, s.lastContent), ""})
		}
		for num := range s.versions {
			if !versions[[2]int64{id, int64(num)}] && !s.purgedVers[num] {
				c.add(CheckFinding{CheckError, "journal-version-missing", c.name(id), fmt.Sprintf("version %d is in the journal, not in the tree, and no purge removed it", num), ""})
			}
		}
	}
	for id, n := range nodes {
		if id == RootID {
			continue
		}
		s := state[id]
		if s == nil || !s.created && !s.moved {
			if !copied(id) {
				c.add(CheckFinding{CheckError, "journal-node-unknown", c.name(id), "in the tree, but the journal never recorded its creation", ""})
			}
		}
		if n.deleted && (s == nil || s.lastTrash != "delete") {
			c.add(CheckFinding{CheckError, "journal-trash-state", c.name(id), "in the trash, but the journal never recorded its deletion", ""})
		}
	}
}

// copiedAncestor reports whether a folder above id was copied: a copy
// journals its top node only.
func (c *checker) copiedAncestor(id int64, nodes map[int64]*nodeState, state map[int64]*journalState) bool {
	for i := 0; i < 4096; i++ {
		n, ok := nodes[id]
		if !ok || n.parent == 0 {
			return false
		}
		id = n.parent
		if s := state[id]; s != nil && s.copied {
			return true
		}
	}
	return false
}
