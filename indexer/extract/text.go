package extract

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// sniffBytes is how much of a text file decides its charset when it has
// neither a BOM nor a declared charset.
const sniffBytes = 64 << 10

// extractPlainText streams plain text and Markdown. Markdown is indexed as
// its source: markup characters are punctuation to the search tokenizer.
func extractPlainText(j *job) error {
	r, err := decodeText(j.section(), j.params["charset"])
	if err != nil {
		return err
	}
	var w io.Writer = j.out
	if isMarkdown(j) {
		w = io.MultiWriter(j.out, &markdownHeading{h: &j.heading})
	}
	if _, err := io.Copy(w, r); err != nil {
		return fmt.Errorf("read text: %w", err)
	}
	return nil
}

// isMarkdown tells Markdown from other plain text, by type or extension.
func isMarkdown(j *job) bool {
	ext := strings.ToLower(filepath.Ext(j.name))
	return strings.HasPrefix(j.mime, "text/markdown") || strings.HasPrefix(j.mime, "text/x-markdown") || ext == ".md" || ext == ".markdown"
}

// decodeText returns a reader of UTF-8 text from a byte stream:
//   - a BOM (UTF-8, UTF-16 LE/BE) wins;
//   - then a charset declared in the MIME type, if known;
//   - then valid UTF-8 in the first 64 KiB means UTF-8 (a stray invalid
//     byte further on is read as Windows-1252 rather than dropped);
//   - otherwise Windows-1252, what French files from Windows usually are
//     (it is a superset of Latin-1 for printable characters).
func decodeText(r io.Reader, declared string) (io.Reader, error) {
	br := bufio.NewReaderSize(r, sniffBytes)
	head, err := br.Peek(sniffBytes)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, fmt.Errorf("read text: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
		return transform.NewReader(br, utf8Lenient{}), nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return transform.NewReader(br, unicode.BOMOverride(unicode.UTF8.NewDecoder())), nil
	}
	if declared != "" {
		if enc, name := charset.Lookup(declared); enc != nil && name != "utf-8" && !isASCIILabel(declared) {
			return transform.NewReader(br, enc.NewDecoder()), nil
		}
	}
	if validUTF8Prefix(head) {
		return transform.NewReader(br, utf8Lenient{}), nil
	}
	return transform.NewReader(br, charmap.Windows1252.NewDecoder()), nil
}

// isASCIILabel reports charset labels that mean "ASCII": files declared so
// are often really UTF-8 or Windows-1252, so detection decides.
func isASCIILabel(label string) bool {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "us-ascii", "ascii", "ansi_x3.4-1968":
		return true
	}
	return false
}

// validUTF8Prefix is utf8.Valid, tolerating a rune cut by the end of the
// sniffed prefix.
func validUTF8Prefix(b []byte) bool {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				b = b[:i]
			}
			break
		}
	}
	return utf8.Valid(b)
}

// utf8Lenient passes UTF-8 through and decodes each invalid byte as
// Windows-1252, so a mostly-UTF-8 file with a few Latin-1 bytes (a common
// result of concatenating files) loses nothing.
type utf8Lenient struct{ transform.NopResetter }

var cp1252Decoder = charmap.Windows1252

func (utf8Lenient) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	// Fast path: copy the longest prefix that is valid UTF-8 and ends on a
	// rune boundary, which is usually all of it.
	k := min(len(src), len(dst))
	for i := k - 1; i >= 0 && i >= k-utf8.UTFMax; i-- {
		if utf8.RuneStart(src[i]) {
			if !utf8.FullRune(src[i:k]) {
				k = i
			}
			break
		}
	}
	if utf8.Valid(src[:k]) {
		nDst = copy(dst, src[:k])
		nSrc = nDst
	}
	for nSrc < len(src) {
		c := src[nSrc]
		if c < utf8.RuneSelf {
			if nDst >= len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst++
			nSrc++
			continue
		}
		r, size := utf8.DecodeRune(src[nSrc:])
		if r == utf8.RuneError && size <= 1 {
			if !atEOF && !utf8.FullRune(src[nSrc:]) {
				return nDst, nSrc, transform.ErrShortSrc
			}
			r, size = cp1252Decoder.DecodeByte(c), 1
		}
		if nDst+utf8.RuneLen(r) > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += utf8.EncodeRune(dst[nDst:], r)
		nSrc += size
	}
	return nDst, nSrc, nil
}

// extractCSV streams CSV (or TSV) as text: fields separated by tabs, one
// record per line, quotes removed. It is a byte-level state machine rather
// than encoding/csv so that a huge quoted field cannot be held in memory.
func extractCSV(j *job) error {
	r, err := decodeText(j.section(), j.params["charset"])
	if err != nil {
		return err
	}
	br := bufio.NewReaderSize(r, 32<<10)
	head, _ := br.Peek(4 << 10)
	cw := &csvText{out: j.out, delim: guessDelimiter(head)}
	if _, err := io.Copy(cw, br); err != nil {
		return fmt.Errorf("read csv: %w", err)
	}
	return nil
}

// guessDelimiter picks the most frequent of ; , and tab on the first line,
// outside quotes. French spreadsheets export with ';' because ',' is the
// decimal separator.
func guessDelimiter(head []byte) byte {
	counts := map[byte]int{}
	inQuotes := false
	for _, c := range head {
		if c == '"' {
			inQuotes = !inQuotes
		}
		if c == '\n' && !inQuotes {
			break
		}
		if !inQuotes && (c == ';' || c == ',' || c == '\t') {
			counts[c]++
		}
	}
	best := byte(',')
	for _, c := range []byte{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

// csvText rewrites CSV bytes into tab-separated text as they stream by.
type csvText struct {
	out       *sink
	delim     byte
	inQuotes  bool
	quoteSeen bool // a '"' inside quotes: either "" (literal) or the closing quote
	buf       []byte
}

func (c *csvText) Write(p []byte) (int, error) {
	b := c.buf[:0]
	for _, ch := range p {
		if c.quoteSeen {
			c.quoteSeen = false
			if ch == '"' {
				b = append(b, '"') // "" inside quotes is one literal quote
				continue
			}
			c.inQuotes = false
		}
		switch {
		case c.inQuotes && ch == '"':
			c.quoteSeen = true
		case c.inQuotes:
			b = append(b, ch)
		case ch == '"':
			c.inQuotes = true
		case ch == c.delim:
			b = append(b, '\t')
		default:
			b = append(b, ch)
		}
	}
	c.buf = b[:0]
	if _, err := c.out.Write(b); err != nil {
		return 0, err
	}
	return len(p), nil
}
