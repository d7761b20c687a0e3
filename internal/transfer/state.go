package transfer

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// importState remembers which source files an import has stored, so that
// running the same import again (after an interruption, or to pick up
// changes) skips them without reading them. It is an accelerator only:
// a record is trusted when the source file's size and modification time
// still match and the repository still holds that content at that path.
type importState struct {
	path string
	done map[string]stateRecord

	mu      sync.Mutex
	f       *os.File
	w       *bufio.Writer
	pending int
}

type stateRecord struct {
	Rel   string `json:"rel"` // Go-quoted: source names need not be UTF-8, JSON strings must
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime"`
	Hash  string `json:"sha256"`
}

// openState loads the records at path (a JSON line per stored file) and
// opens it for appending. A torn last line, from a crash, is ignored.
func openState(path string) (*importState, error) {
	st := &importState{path: path, done: map[string]stateRecord{}}
	if path == "" {
		return st, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("import state: %w", err)
	}
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("import state: %w", err)
	default:
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var r stateRecord
			if json.Unmarshal(sc.Bytes(), &r) != nil {
				continue
			}
			if rel, err := strconv.Unquote(r.Rel); err == nil && rel != "" {
				r.Rel = rel
				st.done[rel] = r
			}
		}
		f.Close()
	}
	if st.f, err = os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640); err != nil {
		return nil, fmt.Errorf("import state: %w", err)
	}
	st.w = bufio.NewWriter(st.f)
	// A torn line must not glue onto the next record.
	st.w.WriteString("\n")
	return st, nil
}

func (st *importState) lookup(rel string) (stateRecord, bool) {
	r, ok := st.done[rel] // read-only after openState
	return r, ok
}

func (st *importState) record(r stateRecord) error {
	if st.f == nil {
		return nil
	}
	r.Rel = strconv.Quote(r.Rel)
	b, _ := json.Marshal(r)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.w.Write(append(b, '\n'))
	st.pending++
	if st.pending >= 200 {
		st.pending = 0
		return st.w.Flush()
	}
	return nil
}

func (st *importState) close() error {
	if st.f == nil {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	err := st.w.Flush()
	if serr := st.f.Sync(); err == nil {
		err = serr
	}
	if cerr := st.f.Close(); err == nil {
		err = cerr
	}
	return err
}
