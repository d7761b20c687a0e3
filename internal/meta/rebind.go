package meta

import (
	"strconv"
	"strings"
	"sync"
)

// The SQL of internal/repo and internal/auth is written once, in the
// dialect both databases share. What PostgreSQL spells differently is
// rewritten here, and only here, as each statement reaches the driver:
//
//   - placeholders: SQLite's `?` and `?N` become `$N` (a bare `?` takes the
//     number after the highest one used so far, as in SQLite);
//   - LIKE becomes ILIKE: SQLite's LIKE ignores the case of ASCII letters,
//     and the text columns' "C" collation makes ILIKE do exactly that.
//
// Everything inside string literals, quoted identifiers and comments is
// left as it is. Other differences are settled in the schema (see
// migrations/postgres) or written portably (ON CONFLICT, RETURNING).
func rebindPostgres(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	highest := 0
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) {
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c { // doubled quote: still inside
						j += 2
						continue
					}
					break
				}
				j++
			}
			j = min(j+1, len(q))
			b.WriteString(q[i:j])
			i = j
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			b.WriteString(q[i : i+j])
			i += j
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			j := strings.Index(q[i+2:], "*/")
			end := len(q)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			b.WriteString(q[i:end])
			i = end
		case c == '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			n := highest + 1
			if j > i+1 {
				n, _ = strconv.Atoi(q[i+1 : j])
			}
			highest = max(highest, n)
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i = j
		case isWordByte(c):
			j := i
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			if w := q[i:j]; strings.EqualFold(w, "like") {
				b.WriteString("ILIKE")
			} else {
				b.WriteString(w)
			}
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// rebound caches rewritten statements: the same few hundred texts run all
// the time. Texts built with a variable number of placeholders make more;
// the cache is emptied when it grows past its bound.
type rebound struct {
	mu sync.RWMutex
	m  map[string]string
}

const maxRebound = 4096

func (r *rebound) get(q string) string {
	r.mu.RLock()
	out, ok := r.m[q]
	r.mu.RUnlock()
	if ok {
		return out
	}
	out = rebindPostgres(q)
	r.mu.Lock()
	if r.m == nil || len(r.m) >= maxRebound {
		r.m = make(map[string]string, 256)
	}
	r.m[q] = out
	r.mu.Unlock()
	return out
}
