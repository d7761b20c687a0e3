package dovecot

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// Message is a test e-mail, written byte for byte as mail programs do, so
// that the intake's decoding (RFC 2047 words, RFC 2231 parameters, Latin-1)
// is tested against what real mail carries.
type Message struct {
	From, To  string
	Subject   string // UTF-8; encoded as SubjectCharset says
	Latin1    bool   // encode the subject in ISO-8859-1 (else UTF-8)
	MessageID string // "" for none
	Date      time.Time
	Body      string
	Files     []File
}

// File is an attachment.
type File struct {
	Name string
	// Encoding of the name: "rfc2231-utf8" (filename*=UTF-8''…),
	// "rfc2231-latin1" (filename*=ISO-8859-1''…), "rfc2047-latin1"
	// (filename="=?ISO-8859-1?Q?…?="), or "" (plain ASCII).
	Encoding string
	Type     string
	Data     []byte
	// Reader, if set, replaces Data (Size bytes; large attachments are
	// written without being held in memory).
	Reader io.Reader
}

func latin1(s string) string {
	b, err := charmap.ISO8859_1.NewEncoder().String(s)
	if err != nil {
		panic(err)
	}
	return b
}

func (f File) disposition() string {
	switch f.Encoding {
	case "rfc2231-utf8":
		return "attachment; filename*=UTF-8''" + pct(f.Name)
	case "rfc2231-latin1":
		return "attachment; filename*=ISO-8859-1''" + pct(latin1(f.Name))
	case "rfc2047-latin1":
		return `attachment; filename="` + mime.QEncoding.Encode("ISO-8859-1", latin1(f.Name)) + `"`
	}
	return `attachment; filename="` + f.Name + `"`
}

// pct percent-encodes every byte outside RFC 2231's attribute-char.
func pct(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0) {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(fmt.Sprintf("%02x", c)))
		}
	}
	return b.String()
}

// Write writes the message.
func (m Message) Write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	subject := mime.QEncoding.Encode("UTF-8", m.Subject)
	if m.Latin1 {
		subject = encodeLatin1Word(m.Subject)
	}
	date := m.Date
	if date.IsZero() {
		date = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
	}
	fmt.Fprintf(bw, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\n", m.From, m.To, subject, date.Format(time.RFC1123Z))
	if m.MessageID != "" {
		fmt.Fprintf(bw, "Message-ID: <%s>\r\n", m.MessageID)
	}
	const boundary = "----=_Part_notreasso_test"
	fmt.Fprintf(bw, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", boundary)
	fmt.Fprintf(bw, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n", boundary, m.Body)
	for _, f := range m.Files {
		fmt.Fprintf(bw, "--%s\r\nContent-Type: %s\r\nContent-Disposition: %s\r\nContent-Transfer-Encoding: base64\r\n\r\n", boundary, f.Type, f.disposition())
		r := f.Reader
		if r == nil {
			r = strings.NewReader(string(f.Data))
		}
		if err := writeBase64(bw, r); err != nil {
			return err
		}
	}
	fmt.Fprintf(bw, "--%s--\r\n", boundary)
	return bw.Flush()
}

// encodeLatin1Word is an RFC 2047 Q-encoded word in ISO-8859-1, written by
// hand: mime.QEncoding would check nothing about the bytes, but its output
// for Latin-1 input is what old mail programs send too.
func encodeLatin1Word(s string) string {
	return mime.QEncoding.Encode("ISO-8859-1", latin1(s))
}

// writeBase64 writes r in base64 lines of 76 characters.
func writeBase64(w io.Writer, r io.Reader) error {
	buf := make([]byte, 57*1024)
	line := make([]byte, base64.StdEncoding.EncodedLen(57))
	for {
		n, err := io.ReadFull(r, buf)
		for i := 0; i < n; i += 57 {
			chunk := buf[i:min(i+57, n)]
			base64.StdEncoding.Encode(line, chunk)
			if _, werr := w.Write(append(line[:base64.StdEncoding.EncodedLen(len(chunk))], '\r', '\n')); werr != nil {
				return werr
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// File writes the message into a file in dir and returns its path.
func (m Message) File(t testing.TB, dir string) string {
	t.Helper()
	f, err := os.CreateTemp(dir, "msg-*.eml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := m.Write(f); err != nil {
		t.Fatal(err)
	}
	return filepath.Clean(f.Name())
}

// AppendMessage writes m to a temporary file and appends it to mailbox.
func (s *Server) AppendMessage(t testing.TB, mailbox string, m Message) {
	t.Helper()
	path := m.File(t, t.TempDir())
	s.Append(t, mailbox, path)
	os.Remove(path)
}
