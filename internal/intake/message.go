package intake

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset" // decodes ISO-8859-x, Windows-125x… in headers and bodies
	"github.com/emersion/go-message/mail"

	"notreasso/internal/repo"
)

// Header is what the rules and the ledger need from a message's header.
type Header struct {
	MessageID  string
	Subject    string
	From       string   // the sender's bare address, lower case
	FromName   string   // « Mairie de Lyon », or the address
	Recipients []string // To, Cc, Delivered-To, X-Original-To, Envelope-To: bare addresses, lower case
	Date       time.Time
}

// readHeader parses a message's header (the body is not read).
func readHeader(r io.Reader) (Header, error) {
	e, err := message.Read(r)
	if err != nil && !message.IsUnknownCharset(err) {
		return Header{}, fmt.Errorf("read the message's header: %w", err)
	}
	h := mail.Header{Header: e.Header}
	var out Header
	out.MessageID, _ = h.MessageID()
	out.Subject, _ = h.Subject()
	out.Subject = strings.Join(strings.Fields(out.Subject), " ")
	if from, err := h.AddressList("From"); err == nil && len(from) > 0 {
		out.From, out.FromName = strings.ToLower(from[0].Address), from[0].Name
	} else {
		out.From = repo.AddressOf(h.Get("From"))
	}
	if out.FromName == "" {
		out.FromName = out.From
	}
	for _, k := range []string{"To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To"} {
		list, err := h.AddressList(k)
		if err != nil || len(list) == 0 {
			for _, v := range h.Values(k) {
				if a := repo.AddressOf(v); a != "" {
					out.Recipients = append(out.Recipients, a)
				}
			}
			continue
		}
		for _, a := range list {
			out.Recipients = append(out.Recipients, strings.ToLower(a.Address))
		}
	}
	if d, err := h.Date(); err == nil && !d.IsZero() {
		out.Date = d
	}
	return out, nil
}

// Attachment is one file a message carries.
type Attachment struct {
	Index int    // place among the message's attachments, from 1
	Name  string // decoded file name; may be empty
	Type  string // its MIME type
	Body  io.Reader
}

// walkAttachments calls fn for each attachment of the message in r, in
// order, streaming: each body must be read (or not) before fn returns.
// A part is an attachment when it names a file, or when it is neither
// the text nor the HTML of the message.
func walkAttachments(r io.Reader, fn func(Attachment) error) error {
	mr, err := mail.CreateReader(r)
	if err != nil && !message.IsUnknownCharset(err) {
		return fmt.Errorf("read the message: %w", err)
	}
	n := 0
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil && !message.IsUnknownCharset(err) {
			return fmt.Errorf("read part %d of the message: %w", n+1, err)
		}
		var h message.Header
		switch ph := p.Header.(type) {
		case *mail.InlineHeader:
			h = ph.Header
		case *mail.AttachmentHeader:
			h = ph.Header
		}
		name := partName(h)
		typ, _, _ := h.ContentType()
		if name == "" && (typ == "" || typ == "text/plain" || typ == "text/html" || strings.HasPrefix(typ, "multipart/")) {
			continue // the message's own text: kept in the .eml if the rule says so
		}
		n++
		if err := fn(Attachment{Index: n, Name: name, Type: typ, Body: p.Body}); err != nil {
			return err
		}
	}
}

// partName is a part's file name, decoded: RFC 2047 words and RFC 2231
// parameters in any charset go-message knows.
func partName(h message.Header) string {
	ah := mail.AttachmentHeader{Header: h}
	if name, _ := ah.Filename(); name != "" {
		return name
	}
	// mime.ParseMediaType drops RFC 2231 values in charsets other than
	// UTF-8 and ASCII (filename*=ISO-8859-1''d%E9claration.pdf): read them.
	for _, f := range []struct{ field, param string }{{"Content-Disposition", "filename"}, {"Content-Type", "name"}} {
		if v := param2231(h.Get(f.field), f.param); v != "" {
			return v
		}
	}
	return ""
}

// param2231 decodes the extended parameter param* (or its continuations
// param*0*, param*1…) of a header value, in whatever charset it names.
func param2231(value, param string) string {
	var cs string
	var raw strings.Builder
	found := false
	for _, seg := range splitParams(value) {
		k, v, ok := strings.Cut(seg, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.Trim(strings.TrimSpace(v), `"`)
		rest, ok := strings.CutPrefix(k, strings.ToLower(param)+"*")
		if !ok {
			continue
		}
		encoded := rest == "" || strings.HasSuffix(rest, "*")
		if rest == "" || rest == "0*" || rest == "0" {
			if encoded {
				parts := strings.SplitN(v, "'", 3)
				if len(parts) == 3 {
					cs, v = parts[0], parts[2]
				}
			}
		}
		if encoded {
			if u, err := url.PathUnescape(strings.ReplaceAll(v, "+", "%2B")); err == nil {
				v = u
			}
		}
		raw.WriteString(v)
		found = true
	}
	if !found {
		return ""
	}
	if cs == "" || strings.EqualFold(cs, "utf-8") || strings.EqualFold(cs, "us-ascii") {
		return raw.String()
	}
	r, err := charset.Reader(cs, strings.NewReader(raw.String()))
	if err != nil {
		return raw.String()
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return raw.String()
	}
	return string(b)
}

// splitParams splits "attachment; filename*=…; size=3" at the semicolons
// outside quotes, dropping the first element (the disposition or type).
func splitParams(v string) []string {
	var out []string
	var cur bytes.Buffer
	quoted := false
	for _, r := range v {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case r == ';' && !quoted:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	out = append(out, cur.String())
	return out[1:]
}

// attachmentName is the file name an attachment is stored under: its own
// (decoded), or « pièce jointe N » with an extension from its type.
func attachmentName(a Attachment) string {
	name := path.Base(strings.ReplaceAll(a.Name, `\`, "/"))
	if a.Name == "" || name == "." || name == "/" {
		name = fmt.Sprintf("piece-jointe-%d", a.Index)
		if exts, _ := mime.ExtensionsByType(a.Type); len(exts) > 0 {
			name += exts[0]
		} else if a.Type == "message/rfc822" {
			name += ".eml"
		}
	}
	return repo.IntakeName(name, fmt.Sprintf("piece-jointe-%d", a.Index))
}

// mailName is the name a kept message is stored under: its date and
// subject, as « 2025-03-14 Facture électricité.eml ».
func mailName(h Header) string {
	subject := h.Subject
	if subject == "" {
		subject = "courriel de " + h.From
	}
	if len(subject) > 120 {
		subject = clipRunes(subject, 120)
	}
	date := h.Date
	if date.IsZero() {
		date = time.Now()
	}
	return repo.IntakeName(date.Format("2006-01-02")+" "+subject+".eml", "courriel.eml")
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n]))
}

// messageKey identifies a message across mailboxes and accounts: its
// Message-ID, or the SHA-256 of its bytes when it has none.
func messageKey(messageID, sha256hex string) string {
	id := strings.Trim(strings.TrimSpace(messageID), "<>")
	if id != "" {
		return "mid:" + id
	}
	return "sha256:" + sha256hex
}
