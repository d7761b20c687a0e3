package extract

import (
	"bytes"
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

// langSampleBytes is how much of the output DetectLang looks at: about
// 600 words, plenty to tell French from English by their stop words.
const langSampleBytes = 4 << 10

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
	nfkc  *nfkcWriter
	limit *limitWriter

	last     byte // last byte written after cleanup (0 before any)
	afterCR  bool
	nonBlank bool
	sample   []byte
	buf      []byte
}

func newSink(ctx context.Context, w io.Writer, maxBytes int64) *sink {
	lw := &limitWriter{w: w, remaining: maxBytes}
	return &sink{ctx: ctx, limit: lw, nfkc: &nfkcWriter{w: lw}}
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
	clean := s.clean(p)
	if len(clean) == 0 {
		return len(p), nil
	}
	if !s.nonBlank {
		s.nonBlank = bytes.ContainsFunc(clean, func(r rune) bool { return r != ' ' && r != '\t' && r != '\n' })
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

// clean returns p with CR and CRLF turned into LF and other C0 controls
// into spaces. Text rarely has any, so p is returned as is when clean.
func (s *sink) clean(p []byte) []byte {
	dirty := s.afterCR
	for _, c := range p {
		if controlByte[c] {
			dirty = true
			break
		}
	}
	if !dirty {
		return p
	}
	out := s.buf[:0]
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
		out = append(out, c)
	}
	s.buf = out[:0]
	return out
}

// controlByte marks the bytes clean rewrites: C0 controls but tab and LF,
// and DEL.
var controlByte = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = c != '\t' && c != '\n'
	}
	t[0x7f] = true
	return t
}()

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

// maxPendingNFKC bounds the bytes nfkcWriter holds while waiting for the
// end of a segment: an endless run of combining marks is normalised in
// pieces rather than buffered (as the Stream-Safe Text Format allows).
const maxPendingNFKC = 4 << 10

// nfkcWriter normalises a UTF-8 stream to NFKC. norm.Writer takes the
// slow path for the rest of a chunk after the first non-ASCII character;
// this writer copies runs of characters that are already normal (nearly
// all of French or English text) as they are, using a table, and hands
// only the segments around other characters to package norm.
type nfkcWriter struct {
	w       io.Writer
	pending []byte // the start of a segment that may continue in the next write
	out     []byte
	iter    norm.Iter // reused: norm.Form.Append allocates per call
}

// Flags of runeClass, for the runes of the Basic Multilingual Plane.
const (
	// startsSegment: canonical combining class 0 and never composed with
	// what precedes it, so a segment boundary lies before the rune.
	startsSegment = 1 << iota
	// stable: startsSegment, and NFKC-normal on its own.
	stable
)

// nfkcTables classifies the runes of the Basic Multilingual Plane and
// holds the NFKC form of those that start a segment but are not stable
// (NBSP, ligatures, fullwidth forms...). Built on first use, in ~15 ms.
type nfkcTables struct {
	class  [0x10000]uint8
	single map[rune]string // NFKC of the rune when it is a segment alone
}

var runeTables = sync.OnceValue(func() *nfkcTables {
	t := &nfkcTables{single: map[rune]string{}}
	for r := rune(0); r < 0x10000; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		s := string(r)
		if p := norm.NFKC.PropertiesString(s); p.BoundaryBefore() && p.CCC() == 0 {
			t.class[r] = startsSegment
			if norm.NFKC.IsNormalString(s) {
				t.class[r] |= stable
			} else {
				t.single[r] = norm.NFKC.String(s)
			}
		}
	}
	return t
})

// singleSegment returns the NFKC form of the rune at the start of b when
// that rune is a whole segment (the next rune starts another), from the
// table; ok is false when the general path must decide.
func singleSegment(b []byte) (nfkc string, size int, ok bool) {
	t := runeTables()
	r, size := utf8.DecodeRune(b)
	if size < 2 || size > 3 || t.class[r] != startsSegment || size >= len(b) {
		return "", 0, false
	}
	if next := b[size]; next >= utf8.RuneSelf {
		r2, size2 := utf8.DecodeRune(b[size:])
		if size2 < 2 || size2 > 3 || t.class[r2]&startsSegment == 0 {
			return "", 0, false
		}
	}
	return t.single[r], size, true
}

// stableSpan returns a segment boundary k such that b[:k] is NFKC-normal,
// scanning runs of stable runes with a table. The last stable rune is
// left out unless the rune after it starts a new segment, since it could
// otherwise still combine with what follows.
func stableSpan(b []byte) int {
	class := &runeTables().class
	last, i := 0, 0
	for i < len(b) {
		if b[i] < utf8.RuneSelf {
			last = i
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if size < 2 || size > 3 {
			break
		}
		if c := class[r]; c&stable == 0 {
			if c&startsSegment != 0 {
				return i
			}
			break
		}
		last = i
		i += size
	}
	return last
}

// appendNFKC appends the NFKC form of b to out.
func (n *nfkcWriter) appendNFKC(out, b []byte) []byte {
	n.iter.Init(norm.NFKC, b)
	for !n.iter.Done() {
		out = append(out, n.iter.Next()...)
	}
	return out
}

func (n *nfkcWriter) Write(p []byte) (int, error) {
	src := p
	if len(n.pending) > 0 {
		n.pending = append(n.pending, p...)
		src = n.pending
	}
	out := n.out[:0]
	for len(src) > 0 {
		k := stableSpan(src)
		out = append(out, src[:k]...)
		src = src[k:]
		if nfkc, size, ok := singleSegment(src); ok {
			out = append(out, nfkc...)
			src = src[size:]
			continue
		}
		end := norm.NFKC.NextBoundary(src, false)
		if end < 0 {
			break // the segment may go on in the next write
		}
		out = n.appendNFKC(out, src[:end])
		src = src[end:]
	}
	if len(src) > maxPendingNFKC {
		out = n.appendNFKC(out, src)
		src = nil
	}
	n.pending = append(n.pending[:0], src...)
	n.out = out[:0]
	if len(out) > 0 {
		if _, err := n.w.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Close normalises and writes what is pending.
func (n *nfkcWriter) Close() error {
	if len(n.pending) == 0 {
		return nil
	}
	out := n.appendNFKC(nil, n.pending)
	n.pending = nil
	_, err := n.w.Write(out)
	return err
}
