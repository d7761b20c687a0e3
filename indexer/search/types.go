package search

import (
	"notreasso/internal/filetype"
	"strings"
)

// Type families come from internal/filetype; the short names keep the
// alias table below readable.
const (
	famPDF          = filetype.PDF
	famDocument     = filetype.Document
	famSpreadsheet  = filetype.Spreadsheet
	famPresentation = filetype.Presentation
	famText         = filetype.Text
	famImage        = filetype.Image
	famAudio        = filetype.Audio
	famVideo        = filetype.Video
	famArchive      = filetype.Archive
	famEmail        = filetype.Email
	famWeb          = filetype.Web
	famOther        = filetype.Other
)

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

func typeFamily(name, mime string) string { return filetype.Of(name, mime) }

func extOf(name string) string { return filetype.Ext(name) }

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
