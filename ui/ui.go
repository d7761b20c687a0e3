// Package ui holds what the browser gets: HTML templates, one CSS file,
// small vanilla JavaScript files, the SVG icon sprite and the message
// catalogues (French and English). Everything is embedded in the binary;
// there is no Node build step.
package ui

import (
	"embed"
	"html/template"
)

// FS is the embedded tree: templates/*.html, static/…, i18n/*.toml, and
// mail/ (the e-mail templates, read by internal/mail).
//
//go:embed templates static i18n mail
var FS embed.FS

// ShareTemplates parses the share-link pages (templates/share_*.html):
// share_folder, share_file, share_password, share_dropbox, share_message,
// and the app's rendered preview (templates/parts/preview.html).
// funcs gives them the app's asset and icon helpers; dates, sizes and
// words come from the page's Locale, as in the app.
func ShareTemplates(funcs template.FuncMap) (*template.Template, error) {
	return template.New("share").Funcs(funcs).ParseFS(FS, "templates/share_*.html", "templates/parts/preview.html")
}
