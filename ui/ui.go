// Package ui holds what browsers get from the server, embedded in the
// binary: for now the minimal pages of share links (/s/…), which the
// interface work will restyle.
package ui

import (
	"embed"
	"fmt"
	"html/template"
	"time"
)

//go:embed templates/share*.html
var shareFS embed.FS

// ShareTemplates parses the share-link pages: share_folder, share_file,
// share_password, share_dropbox and share_message.
func ShareTemplates() (*template.Template, error) {
	return template.New("share").Funcs(template.FuncMap{
		"size": humanSize,
		"date": func(t time.Time) string { return t.Format("2006-01-02 15:04") },
	}).ParseFS(shareFS, "templates/share*.html")
}

// humanSize writes a byte count the way people read it: "48 Ko" in
// French, which the English page reads as kB.
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
