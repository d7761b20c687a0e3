// Package serving decides how a stored file's content is sent over HTTP:
// its Content-Type, Content-Disposition and Content-Security-Policy. Every
// door that sends user content (API download, share links, web previews
// and downloads, WebDAV GET, the sync protocol) calls For, so a file that
// could run script in the application's origin is never shown in place.
package serving

import (
	"mime"
	"net/http"
	"strings"

	"notreasso/internal/repo"
)

// Use is what the response is for.
type Use int

const (
	// Attachment: always saved by the browser, never shown
	// (?download=1, the download button).
	Attachment Use = iota
	// Open: shown in the browser tab when the type is passive (a PDF, a
	// photo, plain text), saved otherwise. API and share-link downloads,
	// WebDAV GET.
	Open
	// Embed: shown inside the file page (iframe, img, audio, video).
	// Only passive types that can be previewed; see For's ok.
	Embed
)

// Sandbox is the policy of user content: nothing runs, nothing loads,
// and the document is a unique origin even if a browser shows it.
const Sandbox = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"

// embedLocked is the policy of embedded PDFs, images and media: without
// "sandbox", which stops Chrome's PDF viewer, but with nothing allowed to
// run or load. SVG, which can carry script, keeps the sandbox.
const embedLocked = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; media-src 'self'; frame-ancestors 'self'"

// Headers are the headers of a response carrying a file's content.
type Headers struct {
	ContentType string
	Disposition string // the whole Content-Disposition value
	Policy      string // Content-Security-Policy
}

// Set writes the headers with set (Fiber's c.Set, http.Header.Set), with
// X-Content-Type-Options: nosniff, so that browsers never guess a type.
func (h Headers) Set(set func(key, value string)) {
	set("Content-Type", h.ContentType)
	set("Content-Disposition", h.Disposition)
	set("Content-Security-Policy", h.Policy)
	set("X-Content-Type-Options", "nosniff")
}

// SetHTTP writes the headers into a net/http header.
func (h Headers) SetHTTP(hd http.Header) { h.Set(hd.Set) }

// For decides the headers of a file called name whose content was stored
// with the type stored (sniffed at upload). ok is false for Embed when the
// type is not previewable.
//
// The type sent is the name's when the name has a known extension that
// disagrees with the content: HTML saved as "notes.txt" or "photo.png" is
// sent as text/plain or image/png, never as HTML. Active types (HTML,
// XHTML, SVG, XML, scripts, anything not known to be passive) are always
// attachments; every response is sandboxed.
func For(name, stored string, use Use) (h Headers, ok bool) {
	ctype := Type(name, stored)
	passive := Passive(ctype)
	disp := "attachment"
	if passive && use != Attachment {
		disp = "inline"
	}
	h, ok = Headers{ContentType: ctype, Policy: Sandbox}, true
	if use == Embed {
		switch {
		case ctype == "image/svg+xml":
			h.Policy, disp = Sandbox+"; frame-ancestors 'self'", "inline"
		case ctype == "application/pdf", strings.HasPrefix(ctype, "image/"), strings.HasPrefix(ctype, "audio/"), strings.HasPrefix(ctype, "video/"):
			h.Policy, disp = embedLocked, "inline"
		default:
			ok = false
		}
	}
	if strings.HasPrefix(ctype, "text/") {
		h.ContentType += "; charset=utf-8"
	}
	h.Disposition = mime.FormatMediaType(disp, map[string]string{"filename": name})
	if h.Disposition == "" { // a name mime cannot encode (control characters)
		h.Disposition = disp
	}
	return h, ok
}

// Type is the Content-Type a file is sent with (without parameters).
func Type(name, stored string) string {
	stored, _, _ = mime.ParseMediaType(stored)
	byName := repo.TypeByName(name)
	switch {
	case byName != "" && byName != stored:
		return byName
	case stored == "":
		return "application/octet-stream"
	}
	return stored
}

// Passive reports whether a browser may show the type in place without
// running anything: PDF, plain text, images (not SVG), audio and video.
func Passive(ctype string) bool {
	switch {
	case ctype == "application/pdf", ctype == "text/plain", ctype == "text/csv", ctype == "text/markdown":
		return true
	case strings.HasPrefix(ctype, "image/") && ctype != "image/svg+xml":
		return true
	case strings.HasPrefix(ctype, "audio/"), strings.HasPrefix(ctype, "video/"):
		return true
	}
	return false
}
