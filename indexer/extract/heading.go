package extract

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// A document without a title property is titled by its first heading:
// Markdown "# ", HTML h1, a Word paragraph styled Heading 1 or Title, an
// OpenDocument level-1 heading. Extractors feed the heading's text to a
// headingText while they stream; the title is set once they are done.

// headingText gathers the text of the first heading, bounded.
type headingText struct {
	b       strings.Builder
	started bool // the first heading has begun: later ones are ignored
	done    bool
}

// start begins the first heading; it reports false once one was seen.
func (h *headingText) start() bool {
	if h.started {
		return false
	}
	h.started = true
	return true
}

func (h *headingText) add(s string) {
	if h.started && !h.done && h.b.Len() < 4*maxTitleRunes {
		h.b.WriteString(s)
	}
}

// end closes the first heading.
func (h *headingText) end() { h.done = h.started }

// titleFromHeading sets r's title from the first heading when the
// document's properties gave none.
func (r *Result) titleFromHeading(h *headingText) {
	if r.Title == "" && h.done {
		r.setTitle(h.b.String())
	}
}

// markdownHeading watches the first lines of a Markdown text, as it is
// copied to the index, for an ATX heading of level 1 ("# Titre").
type markdownHeading struct {
	h    *headingText
	line []byte
	seen int // bytes looked at; a heading further down is not a title
}

// mdHeadingWindow is how far into a Markdown file its title is looked for.
const mdHeadingWindow = 16 << 10

func (m *markdownHeading) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && !m.h.done && m.seen < mdHeadingWindow {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		m.seen += len(chunk)
		if len(m.line)+len(chunk) <= 4*maxTitleRunes {
			m.line = append(m.line, chunk...)
		}
		if i < 0 {
			break
		}
		m.seen++
		m.endLine()
		p = p[i+1:]
	}
	return n, nil
}

func (m *markdownHeading) endLine() {
	line := strings.TrimRight(string(m.line), "\r")
	m.line = m.line[:0]
	if rest, ok := strings.CutPrefix(line, "# "); ok && utf8.ValidString(rest) {
		m.h.start()
		m.h.add(strings.TrimRight(strings.TrimSpace(rest), "#"))
		m.h.end()
	}
}
