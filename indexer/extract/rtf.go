package extract

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// maxRTFDepth bounds group nesting; real documents stay far below.
const maxRTFDepth = 1000

// rtfSkipped lists destinations whose content is not document text.
var rtfSkipped = wordSet("fonttbl colortbl stylesheet info pict object listtable listoverridetable revtbl rsidtbl " +
	"generator xmlnstbl themedata colorschememapping datastore latentstyles datafield fldinst pgdsctbl " +
	"filetbl bkmkstart bkmkend protusertbl operator author company title subject keywords comment")

// rtfSymbols maps control words to the text they stand for.
var rtfSymbols = map[string]string{
	"par": "\n", "line": "\n", "sect": "\n", "page": "\n", "row": "\n",
	"tab": "\t", "cell": "\t", "emdash": "—", "endash": "–", "bullet": "•",
	"lquote": "‘", "rquote": "’", "ldblquote": "“", "rdblquote": "”", "emspace": " ", "enspace": " ",
}

// extractRTF strips RTF control words and groups, keeping the text:
// \'hh bytes decoded in the document's ANSI code page (Windows-1252 by
// default), \uN Unicode characters with their \ucN fallbacks skipped, and
// non-text destinations (font tables, pictures, metadata) left out.
func extractRTF(j *job) error {
	p := &rtfParser{in: bufio.NewReaderSize(j.section(), 32<<10), out: j.out, codepage: charmap.Windows1252}
	p.stack = []rtfGroup{{uc: 1}}
	err := p.run()
	if errors.Is(err, io.EOF) { // run ends only with an error; EOF is the end of the text
		return p.flush()
	}
	return err
}

type rtfGroup struct {
	skip bool // inside a destination that is not text
	uc   int  // characters to skip after \uN
}

type rtfParser struct {
	in        *bufio.Reader
	out       *sink
	codepage  encoding.Encoding
	stack     []rtfGroup
	ucPending int
	text      strings.Builder
}

func (p *rtfParser) cur() *rtfGroup { return &p.stack[len(p.stack)-1] }

func (p *rtfParser) run() error {
	for {
		c, err := p.in.ReadByte()
		if err != nil {
			return err
		}
		switch c {
		case '{':
			if len(p.stack) >= maxRTFDepth {
				return fmt.Errorf("rtf: groups nested deeper than %d", maxRTFDepth)
			}
			p.stack = append(p.stack, *p.cur())
			p.ucPending = 0
		case '}':
			if len(p.stack) > 1 {
				p.stack = p.stack[:len(p.stack)-1]
			}
			p.ucPending = 0
		case '\\':
			if err := p.control(); err != nil {
				return err
			}
		case '\r', '\n':
			// line breaks in RTF source are not text
		default:
			p.char(c)
		}
		if p.text.Len() >= 32<<10 {
			if err := p.flush(); err != nil {
				return err
			}
		}
	}
}

// char emits one byte of text in the document's code page.
func (p *rtfParser) char(c byte) {
	if p.ucPending > 0 {
		p.ucPending--
		return
	}
	if p.cur().skip {
		return
	}
	if c < 0x80 {
		p.text.WriteByte(c)
		return
	}
	if cm, ok := p.codepage.(*charmap.Charmap); ok {
		p.text.WriteRune(cm.DecodeByte(c))
	} else if s, err := p.codepage.NewDecoder().Bytes([]byte{c}); err == nil {
		p.text.Write(s)
	}
}

func (p *rtfParser) emit(s string) {
	if !p.cur().skip {
		p.text.WriteString(s)
	}
}

// control handles what follows a backslash.
func (p *rtfParser) control() error {
	c, err := p.in.ReadByte()
	if err != nil {
		return err
	}
	switch {
	case c == '\'':
		hex := make([]byte, 2)
		if _, err := io.ReadFull(p.in, hex); err != nil {
			return err
		}
		if b, err := strconv.ParseUint(string(hex), 16, 8); err == nil {
			p.char(byte(b))
		}
		return nil
	case c == '*':
		p.cur().skip = true // an optional destination this reader does not know
		return nil
	case c == '\\' || c == '{' || c == '}':
		p.char(c)
		return nil
	case c == '~':
		p.emit("\u00a0")
		return nil
	case c == '_':
		p.emit("-")
		return nil
	case c == '\n' || c == '\r':
		p.emit("\n")
		return nil
	case !isASCIILetter(c):
		return nil // other control symbols (\-, \|, \:) carry no text
	}
	word := []byte{c}
	for len(word) < 32 {
		c, err = p.in.ReadByte()
		if err != nil || !isASCIILetter(c) {
			break
		}
		word = append(word, c)
	}
	num, hasNum := "", false
	if err == nil && (c == '-' || c >= '0' && c <= '9') {
		digits := []byte{c}
		for len(digits) < 11 {
			c, err = p.in.ReadByte()
			if err != nil || c < '0' || c > '9' {
				break
			}
			digits = append(digits, c)
		}
		num, hasNum = string(digits), true
	}
	if err == nil && c != ' ' {
		_ = p.in.UnreadByte() // the delimiter belongs to the text
	}
	p.word(string(word), num, hasNum)
	return nil
}

// word applies a control word.
func (p *rtfParser) word(word, num string, hasNum bool) {
	n, _ := strconv.Atoi(num)
	switch {
	case rtfSkipped[word]:
		p.cur().skip = true
	case word == "u" && hasNum:
		if n < 0 {
			n += 65536 // \u takes a signed 16-bit value
		}
		p.emit(string(rune(n)))
		p.ucPending = p.cur().uc
	case word == "uc" && hasNum:
		p.cur().uc = max(n, 0)
	case word == "ansicpg" && hasNum:
		if enc, _ := charset.Lookup("windows-" + num); enc != nil {
			p.codepage = enc
		}
	default:
		if s, ok := rtfSymbols[word]; ok {
			p.emit(s)
		}
	}
}

func (p *rtfParser) flush() error {
	err := p.out.WriteString(p.text.String())
	p.text.Reset()
	return err
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
