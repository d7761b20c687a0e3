package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// errTruncated stops an extractor once MaxTextBytes have been written.
var errTruncated = errors.New("text limit reached")

// errAbandoned is returned to an extractor still writing after Extract gave
// up on it (timeout).
var errAbandoned = errors.New("extraction abandoned")

// outputError wraps a failure of the caller's writer, which is not a
// document problem and is returned as an error by Extract.
type outputError struct{ err error }

func (e *outputError) Error() string { return fmt.Sprintf("write extracted text: %v", e.err) }
func (e *outputError) Unwrap() error { return e.err }

// langSampleBytes is how much of the output DetectLang looks at.
const langSampleBytes = 16 << 10

// sink is where every extractor writes. In order it: checks cancellation,
// cleans control characters (CR and CRLF become LF, other C0 controls a
// space), normalises to NFKC (streaming), and cuts the output at
// MaxTextBytes on a rune boundary. It also tracks whether any non-blank
// text was written and keeps a sample for language detection.
//
// Write never splits the caller's bytes in a way that matters: the cleanup
// works on ASCII bytes, which never occur inside a multi-byte UTF-8 rune.
type sink struct {
	ctx   context.Context
	mu    sync.Mutex // an abandoned extractor goroutine may still write
	gone  bool
	nfkc  io.WriteCloser
	limit *limitWriter

	last     byte // last byte written after cleanup (0 before any)
	afterCR  bool
	nonBlank bool
	sample   []byte
	buf      []byte
}

func newSink(ctx context.Context, w io.Writer, maxBytes int64) *sink {
	lw := &limitWriter{w: w, remaining: maxBytes}
	return &sink{ctx: ctx, limit: lw, nfkc: norm.NFKC.Writer(lw)}
}

// Write implements io.Writer so extractors can io.Copy into the sink.
func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return 0, errAbandoned
	}
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	if s.limit.full {
		return 0, errTruncated
	}
	clean := s.buf[:0]
	for _, c := range p {
		switch {
		case c == '\n' && s.afterCR:
			s.afterCR = false
			continue
		case c == '\r':
			s.afterCR = true
			c = '\n'
		case c == '\f' || c == '\v':
			s.afterCR = false
			c = '\n'
		case c < 0x20 && c != '\t' && c != '\n' || c == 0x7f:
			s.afterCR = false
			c = ' '
		default:
			s.afterCR = false
		}
		if c != ' ' && c != '\t' && c != '\n' {
			s.nonBlank = true
		}
		clean = append(clean, c)
	}
	s.buf = clean[:0]
	if len(clean) == 0 {
		return len(p), nil
	}
	s.last = clean[len(clean)-1]
	if room := langSampleBytes - len(s.sample); room > 0 {
		s.sample = append(s.sample, clean[:min(room, len(clean))]...)
	}
	if _, err := s.nfkc.Write(clean); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteString writes text as-is (extractors call it with decoded text).
func (s *sink) WriteString(text string) error {
	if text == "" {
		return nil
	}
	_, err := s.Write([]byte(text))
	return err
}

// Break ends a paragraph: it writes a newline unless the output is empty or
// already ends with one, so empty paragraphs do not pile up blank lines.
func (s *sink) Break() error {
	s.mu.Lock()
	last := s.last
	s.mu.Unlock()
	if last == 0 || last == '\n' {
		return nil
	}
	return s.WriteString("\n")
}

// Space writes a separator unless the output is empty or already ends with
// whitespace, so adjacent words from separate elements do not merge.
func (s *sink) Space() error {
	if s.endsBlank() {
		return nil
	}
	return s.WriteString(" ")
}

// endsBlank reports whether the output is empty or ends with whitespace.
func (s *sink) endsBlank() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last == 0 || s.last == ' ' || s.last == '\n' || s.last == '\t'
}

// flush pushes out what the NFKC writer still buffers.
func (s *sink) flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone || s.limit.full {
		return nil
	}
	return s.nfkc.Close()
}

// abandon makes every later Write fail, so a goroutine left behind after a
// timeout cannot reach the caller's writer.
func (s *sink) abandon() {
	s.mu.Lock()
	s.gone = true
	s.mu.Unlock()
}

func (s *sink) hasText() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nonBlank
}

func (s *sink) truncated() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limit.full
}

func (s *sink) sampleText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.sample)
}

// limitWriter passes at most remaining bytes to w, cutting on a rune
// boundary, then reports errTruncated.
type limitWriter struct {
	w         io.Writer
	remaining int64
	full      bool
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.full {
		return 0, errTruncated
	}
	if int64(len(p)) <= l.remaining {
		n, err := l.w.Write(p)
		l.remaining -= int64(n)
		if err != nil {
			return n, &outputError{err}
		}
		return n, nil
	}
	k := int(l.remaining)
	for k > 0 && !utf8.RuneStart(p[k]) {
		k--
	}
	l.full = true
	n, err := l.w.Write(p[:k])
	l.remaining -= int64(n)
	if err != nil {
		return n, &outputError{err}
	}
	return n, errTruncated
}
