// Package ui holds what the browser gets: HTML templates, one CSS file,
// small vanilla JavaScript files, the SVG icon sprite and the message
// catalogues (French and English). Everything is embedded in the binary;
// there is no Node build step.
package ui

import "embed"

// FS is the embedded tree: templates/*.html, static/…, i18n/*.toml.
//
//go:embed templates static i18n
var FS embed.FS
