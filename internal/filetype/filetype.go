// Package filetype sorts files into the families people think in (PDF,
// document, spreadsheet, presentation, image…): one vocabulary for
// listings and their icons, the search Types facet and type: operator,
// the file page and previews.
package filetype

import (
	"path"
	"strings"
)

// Families. The names are stable keys the UI translates (family.f_<key>,
// ftype.f_<key>), not labels.
const (
	PDF          = "pdf"
	Document     = "document"
	Spreadsheet  = "spreadsheet"
	Presentation = "presentation"
	Text         = "text"
	Image        = "image"
	Audio        = "audio"
	Video        = "video"
	Archive      = "archive"
	Email        = "email"
	Web          = "web"
	Other        = "other"
)

// Families lists every family, in the order a person would look for them.
var Families = []string{PDF, Document, Spreadsheet, Presentation, Text, Image, Audio, Video, Archive, Email, Web, Other}

var extFamily = map[string]string{
	"pdf": PDF,
	"doc": Document, "docx": Document, "odt": Document, "rtf": Document,
	"pages": Document, "dotx": Document,
	"xls": Spreadsheet, "xlsx": Spreadsheet, "ods": Spreadsheet,
	"csv": Spreadsheet, "tsv": Spreadsheet, "numbers": Spreadsheet,
	"ppt": Presentation, "pptx": Presentation, "odp": Presentation,
	"key": Presentation,
	"txt": Text, "md": Text, "markdown": Text, "text": Text, "json": Text, "yaml": Text, "yml": Text, "log": Text,
	"jpg": Image, "jpeg": Image, "png": Image, "gif": Image,
	"webp": Image, "svg": Image, "tif": Image, "tiff": Image,
	"heic": Image, "bmp": Image,
	"mp3": Audio, "ogg": Audio, "wav": Audio, "m4a": Audio, "flac": Audio,
	"mp4": Video, "mov": Video, "avi": Video, "mkv": Video, "webm": Video,
	"zip": Archive, "7z": Archive, "rar": Archive, "tar": Archive, "gz": Archive,
	"eml": Email, "msg": Email, "mbox": Email,
	"html": Web, "htm": Web, "xml": Web,
}

// Of is the family of a file: by extension first (people think in
// extensions), then by MIME type.
func Of(name, mime string) string {
	if f, ok := extFamily[Ext(name)]; ok {
		return f
	}
	mime = strings.ToLower(mime)
	major, minor, _ := strings.Cut(mime, "/")
	switch {
	case mime == "application/pdf":
		return PDF
	case mime == "application/json":
		return Text
	case major == "image":
		return Image
	case major == "audio":
		return Audio
	case major == "video":
		return Video
	case mime == "text/html":
		return Web
	case mime == "message/rfc822":
		return Email
	case strings.Contains(minor, "spreadsheet") || strings.Contains(minor, "excel") || mime == "text/csv":
		return Spreadsheet
	case strings.Contains(minor, "presentation") || strings.Contains(minor, "powerpoint"):
		return Presentation
	case strings.Contains(minor, "wordprocessing") || strings.Contains(minor, "msword") ||
		strings.Contains(minor, "opendocument.text"):
		return Document
	case major == "text":
		return Text
	case strings.Contains(minor, "zip") || strings.Contains(minor, "compressed"):
		return Archive
	}
	return Other
}

// Ext is the lower-case extension of name, without the dot.
func Ext(name string) string {
	return strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
}
