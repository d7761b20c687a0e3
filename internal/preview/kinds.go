package preview

import (
	"strings"

	"notreasso/internal/filetype"
)

// Kinds of cached renderings (repo.Preview.Kind).
const (
	KindThumb = "thumb"
	KindPDF   = "pdf"
	KindTable = "table"
)

// KindPage names the cached image of page n of a PDF.
func KindPage(n int) string { return "page-" + itoa(n) }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// IsPDF reports whether the file is a PDF.
func IsPDF(mime, name string) bool {
	return filetype.Ext(name) == "pdf" || (filetype.Ext(name) == "" && mime == "application/pdf")
}

// thumbImageTypes are the image formats decoded here (HEIC has no
// pure-Go decoder good enough yet; SVG is never rendered: it can carry
// script).
var thumbImageExts = map[string]bool{"jpg": true, "jpeg": true, "png": true, "gif": true, "webp": true, "bmp": true, "tif": true, "tiff": true}

func isImage(mime, name string) bool {
	if e := filetype.Ext(name); e != "" {
		return thumbImageExts[e]
	}
	switch mime {
	case "image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/tiff":
		return true
	}
	return false
}

// officeExts are converted to PDF by LibreOffice.
var officeExts = map[string]bool{"doc": true, "docx": true, "odt": true, "rtf": true, "xls": true, "xlsx": true, "ods": true,
	"ppt": true, "pptx": true, "odp": true, "dotx": true}

// IsOffice reports whether LibreOffice makes a PDF of the file.
func IsOffice(mime, name string) bool { return officeExts[filetype.Ext(name)] }

// IsTable reports whether the file is shown as a table.
func IsTable(mime, name string) bool {
	switch filetype.Ext(name) {
	case "csv", "tsv", "xlsx", "ods":
		return true
	}
	return false
}

// Plan lists the renderings the worker makes of a file, in order (an
// office document's thumbnail is made from its PDF). office says whether
// LibreOffice is installed, pdf whether pdftoppm is.
func Plan(mime, name string, office, pdf bool) []string {
	var kinds []string
	switch {
	case isImage(mime, name):
		kinds = append(kinds, KindThumb)
	case IsPDF(mime, name):
		if pdf {
			kinds = append(kinds, KindThumb)
		}
	case IsOffice(mime, name) && office:
		kinds = append(kinds, KindPDF)
		if pdf {
			kinds = append(kinds, KindThumb)
		}
	}
	if IsTable(mime, name) {
		kinds = append(kinds, KindTable)
	}
	return kinds
}

// tableFormat names the table reader of a file.
func tableFormat(mime, name string) string {
	switch e := filetype.Ext(name); e {
	case "csv", "tsv", "xlsx", "ods":
		return e
	}
	if strings.HasPrefix(mime, "text/") {
		return "csv"
	}
	return ""
}
