// Package ui holds what the browser gets: HTML templates, one CSS file,
// small vanilla JavaScript files, the SVG icon sprite and the message
// catalogues (French and English). Everything is embedded in the binary;
// there is no Node build step.
package ui

import (
	"embed"
	"fmt"
	"html/template"
	"time"
)

// FS is the embedded tree: templates/*.html, static/…, i18n/*.toml.
//
//go:embed templates static i18n
var FS embed.FS

// ShareTemplates parses the share-link pages (templates/share_*.html):
// share_folder, share_file, share_password, share_dropbox, share_message.
func ShareTemplates() (*template.Template, error) {
	return template.New("share").Funcs(template.FuncMap{
		"size": humanSize,
		"date": func(t time.Time) string { return t.Format("2006-01-02 15:04") },
	}).ParseFS(FS, "templates/share_*.html")
}

// humanSize writes a byte count the way people read it ("48.2 kB").
func humanSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
