package serving

import (
	"strings"
	"testing"
)

// Active content is never shown in place, and a name's type beats what
// the content sniffs as: HTML saved as .txt, .png or .pdf stays inert.
func TestFor(t *testing.T) {
	for _, tc := range []struct {
		name, stored string
		use          Use
		ctype, disp  string
	}{
		{"page.html", "text/html", Open, "text/html; charset=utf-8", "attachment"},
		{"page.xhtml", "application/xhtml+xml", Open, "application/xhtml+xml", "attachment"},
		{"logo.svg", "image/svg+xml", Open, "image/svg+xml", "attachment"},
		{"data.xml", "text/xml", Open, "text/xml; charset=utf-8", "attachment"},
		{"notes.txt", "text/html", Open, "text/plain; charset=utf-8", "inline"},
		{"photo.png", "text/html", Open, "image/png", "inline"},
		{"facture.pdf", "text/html", Open, "application/pdf", "inline"},
		{"README", "text/html", Open, "text/html; charset=utf-8", "attachment"},
		{"README", "", Open, "application/octet-stream", "attachment"},
		{"facture.pdf", "application/pdf", Open, "application/pdf", "inline"},
		{"facture.pdf", "application/pdf", Attachment, "application/pdf", "attachment"},
		{"photo.jpg", "image/jpeg", Open, "image/jpeg", "inline"},
		{"rapport.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", Open,
			"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "attachment"},
	} {
		h, ok := For(tc.name, tc.stored, tc.use)
		if !ok || h.ContentType != tc.ctype || !strings.HasPrefix(h.Disposition, tc.disp) || !strings.HasPrefix(h.Policy, "sandbox") {
			t.Errorf("For(%q, %q) = %+v %v; want %s, %s, sandboxed", tc.name, tc.stored, h, ok, tc.ctype, tc.disp)
		}
		set := map[string]string{}
		h.Set(func(k, v string) { set[k] = v })
		if set["X-Content-Type-Options"] != "nosniff" {
			t.Errorf("%s: no nosniff", tc.name)
		}
	}
}

// Previews: PDFs and raster images without the sandbox (Chrome's PDF
// viewer needs it off) but locked; SVG sandboxed; nothing active.
func TestForEmbed(t *testing.T) {
	for name, sandbox := range map[string]bool{"a.pdf": false, "a.png": false, "a.svg": true} {
		h, ok := For(name, "", Embed)
		if !ok || sandbox != strings.HasPrefix(h.Policy, "sandbox") || !strings.Contains(h.Policy, "default-src 'none'") {
			t.Errorf("embed %s: %+v %v", name, h, ok)
		}
	}
	for _, tc := range [][2]string{{"a.html", "text/html"}, {"a.js", "application/javascript"}, {"a.bin", "application/octet-stream"}, {"a.xml", "text/xml"}, {"a.txt", "text/html"}} {
		if h, ok := For(tc[0], tc[1], Embed); ok {
			t.Errorf("%s would be embedded: %+v", tc[0], h)
		}
	}
}
