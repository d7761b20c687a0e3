package search

import (
	"path"
	"strings"
)

// Type families: what the Types facet reports and what type: matches
// besides an exact extension or mime type. The names are stable keys for
// the UI to translate, not labels.
const (
	famPDF          = "pdf"
	famDocument     = "document"
	famSpreadsheet  = "spreadsheet"
	famPresentation = "presentation"
	famText         = "text"
	famImage        = "image"
	famAudio        = "audio"
	famVideo        = "video"
	famArchive      = "archive"
	famEmail        = "email"
	famWeb          = "web"
	famOther        = "other"
)

var extFamily = map[string]string{
	"pdf": famPDF,
	"doc": famDocument, "docx": famDocument, "odt": famDocument, "rtf": famDocument,
	"pages": famDocument, "dotx": famDocument,
	"xls": famSpreadsheet, "xlsx": famSpreadsheet, "ods": famSpreadsheet,
	"csv": famSpreadsheet, "tsv": famSpreadsheet, "numbers": famSpreadsheet,
	"ppt": famPresentation, "pptx": famPresentation, "odp": famPresentation,
	"key": famPresentation,
	"txt": famText, "md": famText, "markdown": famText, "text": famText,
	"jpg": famImage, "jpeg": famImage, "png": famImage, "gif": famImage,
	"webp": famImage, "svg": famImage, "tif": famImage, "tiff": famImage,
	"heic": famImage, "bmp": famImage,
	"mp3": famAudio, "ogg": famAudio, "wav": famAudio, "m4a": famAudio, "flac": famAudio,
	"mp4": famVideo, "mov": famVideo, "avi": famVideo, "mkv": famVideo, "webm": famVideo,
	"zip": famArchive, "7z": famArchive, "rar": famArchive, "tar": famArchive, "gz": famArchive,
	"eml": famEmail, "msg": famEmail, "mbox": famEmail,
	"html": famWeb, "htm": famWeb, "xml": famWeb,
}

// typeAliases maps what users type after type: (French and English, folded)
// to a family. Extensions not listed here match the extension itself.
var typeAliases = map[string]string{
	"pdf":      famPDF,
	"document": famDocument, "doc": famDocument, "word": famDocument, "traitement": famDocument,
	"spreadsheet": famSpreadsheet, "tableur": famSpreadsheet, "tableau": famSpreadsheet,
	"excel": famSpreadsheet, "calc": famSpreadsheet, "xls": famSpreadsheet,
	"presentation": famPresentation, "diaporama": famPresentation,
	"powerpoint": famPresentation, "ppt": famPresentation, "slides": famPresentation,
	"text": famText, "texte": famText, "txt": famText,
	"image": famImage, "images": famImage, "photo": famImage, "photos": famImage,
	"audio": famAudio, "son": famAudio, "musique": famAudio,
	"video": famVideo, "videos": famVideo, "film": famVideo,
	"archive": famArchive, "zip": famArchive,
	"email": famEmail, "mail": famEmail, "courriel": famEmail, "mel": famEmail,
	"web": famWeb, "html": famWeb,
	"other": famOther, "autre": famOther,
}

// typeFamily classifies a document by extension first (users think in
// extensions), then by mime type.
func typeFamily(name, mime string) string {
	if f, ok := extFamily[extOf(name)]; ok {
		return f
	}
	mime = strings.ToLower(mime)
	major, minor, _ := strings.Cut(mime, "/")
	switch {
	case mime == "application/pdf":
		return famPDF
	case major == "image":
		return famImage
	case major == "audio":
		return famAudio
	case major == "video":
		return famVideo
	case mime == "text/html":
		return famWeb
	case mime == "message/rfc822":
		return famEmail
	case strings.Contains(minor, "spreadsheet") || strings.Contains(minor, "excel") || mime == "text/csv":
		return famSpreadsheet
	case strings.Contains(minor, "presentation") || strings.Contains(minor, "powerpoint"):
		return famPresentation
	case strings.Contains(minor, "wordprocessing") || strings.Contains(minor, "msword") ||
		strings.Contains(minor, "opendocument.text"):
		return famDocument
	case major == "text":
		return famText
	case strings.Contains(minor, "zip") || strings.Contains(minor, "compressed"):
		return famArchive
	}
	return famOther
}

func extOf(name string) string {
	return strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
}

// typeTerms are the values indexed in the type field: everything type:
// may name.
func typeTerms(name, mime string) []string {
	out := []string{typeFamily(name, mime)}
	if ext := extOf(name); ext != "" && ext != out[0] {
		out = append(out, ext)
	}
	if m := strings.ToLower(mime); m != "" {
		out = append(out, m)
	}
	return out
}

// typeQueryTerm turns what a user asked for (type:tableur, type:docx,
// type:application/pdf, or a facet term) into the term to look up.
func typeQueryTerm(s string) string {
	k := foldKeyword(strings.TrimPrefix(strings.TrimSpace(s), "."))
	if f, ok := typeAliases[k]; ok {
		return f
	}
	return k
}
