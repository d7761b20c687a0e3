package extract

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"

	"golang.org/x/net/html/charset"
)

// maxMailDepth bounds nested multiparts and attached messages.
const maxMailDepth = 8

// maxMailParts bounds the MIME entities of one e-mail, all levels
// together. Each text part costs a charset sniffing buffer (64 KiB): a
// 10 MB message of 200 000 empty parts took 32 s of CPU and 20 GB of
// allocations. Real mail, even with many attachments, has a few dozen.
const maxMailParts = 1000

// wordDecoder decodes RFC 2047 encoded words in any charset that
// golang.org/x/net/html/charset knows (ISO-8859-*, Windows-125x, ...).
var wordDecoder = &mime.WordDecoder{CharsetReader: charset.NewReaderLabel}

// extractMail writes an e-mail: the From, To, Cc, Subject and Date
// headers, then its text parts (HTML parts stripped to text; in a
// multipart/alternative only the first text part, since the others repeat
// it), and one "Attachment: name" line per attachment. Bodies stream;
// transfer encodings (quoted-printable, base64) and charsets are decoded.
func extractMail(j *job) error {
	return mailMessage(j, j.section(), 0)
}

func mailMessage(j *job, r io.Reader, depth int) error {
	msg, err := mail.ReadMessage(bufio.NewReaderSize(r, 32<<10))
	if err != nil {
		return fmt.Errorf("eml: read headers: %w", err)
	}
	for _, key := range []string{"From", "To", "Cc", "Subject", "Date"} {
		value := msg.Header.Get(key)
		if value == "" {
			continue
		}
		if decoded, err := wordDecoder.DecodeHeader(value); err == nil {
			value = decoded
		}
		if depth == 0 {
			// The message's own subject and date (not those of a
			// forwarded message inside it) are the document's.
			switch key {
			case "Subject":
				j.res.setTitle(value)
			case "Date":
				if t, err := mail.ParseDate(value); err == nil {
					j.res.setDate(t)
				}
			}
		}
		if err := j.out.WriteString(key + ": " + value + "\n"); err != nil {
			return err
		}
	}
	if err := j.out.WriteString("\n"); err != nil {
		return err
	}
	return mailPart(j, msg.Header, msg.Body, depth)
}

// partHeader is the subset of a MIME header a part needs; net/mail and
// mime/multipart use different header types.
type partHeader interface{ Get(key string) string }

// mailPart writes one MIME entity according to its content type.
func mailPart(j *job, h partHeader, body io.Reader, depth int) error {
	if depth > maxMailDepth {
		return fmt.Errorf("eml: MIME parts nested deeper than %d", maxMailDepth)
	}

	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		mediaType, params = "text/plain", map[string]string{} // RFC 2045 default
	}
	if name := attachmentName(h, params); name != "" {
		return j.out.WriteString("Attachment: " + name + "\n")
	}
	body = transferDecoded(body, h.Get("Content-Transfer-Encoding"))
	switch {
	case strings.HasPrefix(mediaType, "multipart/"):
		return mailMultipart(j, mediaType, params["boundary"], body, depth)
	case mediaType == "message/rfc822":
		return mailMessage(j, body, depth+1)
	case mediaType == "text/html":
		contentType := "text/html"
		if cs := params["charset"]; cs != "" {
			contentType += "; charset=" + cs
		}
		if err := htmlText(body, contentType, j.out, nil); err != nil {
			return fmt.Errorf("eml: %w", err)
		}
		return j.out.Break()
	case strings.HasPrefix(mediaType, "text/"):
		text, err := mailCharset(body, params["charset"])
		if err != nil {
			return err
		}
		if _, err := io.Copy(j.out, text); err != nil {
			return fmt.Errorf("eml: read text part: %w", err)
		}
		return j.out.Break()
	}
	return nil // inline non-text parts (images in multipart/related) carry no text
}

func mailMultipart(j *job, mediaType, boundary string, body io.Reader, depth int) error {
	if boundary == "" {
		return fmt.Errorf("eml: %s without boundary", mediaType)
	}
	mr := multipart.NewReader(body, boundary)
	alternativeDone := false
	for {
		part, err := mr.NextPart() // also undoes quoted-printable
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("eml: read %s: %w", mediaType, err)
		}
		if j.parts++; j.parts > maxMailParts {
			return fmt.Errorf("eml: more than %d MIME parts", maxMailParts)
		}
		partType, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		isText := partType == "" || strings.HasPrefix(partType, "text/")
		if mediaType == "multipart/alternative" && isText {
			if alternativeDone {
				continue
			}
			alternativeDone = true
		}
		if err := mailPart(j, part.Header, part, depth+1); err != nil {
			return err
		}
	}
}

// attachmentName returns the file name of a part that is an attachment
// (Content-Disposition: attachment, or any part with a file name), with
// RFC 2047 and RFC 2231 encodings undone.
func attachmentName(h partHeader, ctParams map[string]string) string {
	disposition, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	name := dparams["filename"]
	if name == "" {
		name = ctParams["name"]
	}
	if name == "" {
		if disposition == "attachment" {
			return "(unnamed)"
		}
		return ""
	}
	if decoded, err := wordDecoder.DecodeHeader(name); err == nil {
		name = decoded
	}
	return name
}

// transferDecoded undoes a Content-Transfer-Encoding. multipart.Reader
// already removes quoted-printable from parts, leaving the header empty.
func transferDecoded(body io.Reader, encoding string) io.Reader {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, base64Cleaner{body})
	case "quoted-printable":
		return quotedprintable.NewReader(body)
	}
	return body
}

// base64Cleaner drops what base64.NewDecoder does not skip by itself
// (spaces, tabs): mailers wrap and indent base64 bodies in various ways.
type base64Cleaner struct{ r io.Reader }

func (c base64Cleaner) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	k := 0
	for _, b := range p[:n] {
		if b != ' ' && b != '\t' {
			p[k] = b
			k++
		}
	}
	return k, err
}

// mailCharset decodes a text part to UTF-8. A missing or ASCII charset is
// detected like a text file's, since mailers often lie.
func mailCharset(body io.Reader, label string) (io.Reader, error) {
	if label == "" || isASCIILabel(label) || strings.EqualFold(label, "utf-8") {
		return decodeText(body, "")
	}
	r, err := charset.NewReaderLabel(label, body)
	if err != nil {
		return decodeText(body, "") // unknown charset: better guessed text than none
	}
	return r, nil
}
