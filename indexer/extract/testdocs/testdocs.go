// Package testdocs generates real documents for tests, byte by byte: OOXML
// and ODF archives entry by entry, PDFs as PDF syntax with correct xref
// offsets, mail, RTF, HTML and text in the encodings French users produce,
// and the hostile files extraction must survive (looping PDFs, zip bombs).
// No fixture is downloaded or checked in.
//
// Generators take the phrase a test will search for and put it in a fixed
// document around it, "Le <phrase> est approuvé…", which also exercises
// the format's quirks (runs split mid-word, hidden text, tabs, notes…).
// They return an error only when the phrase cannot be written in the
// format (a rune outside Windows-1252 for the CP1252 formats and PDFs).
//
// The package is meant for tests (indexer/extract's and e2e's) but has no
// test dependency, so any package may import it.
package testdocs

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// Phrase is what the extract package's generated documents are found by.
const Phrase = "procès-verbal de l'assemblée générale"

// ZipEntry is one file of a generated archive.
type ZipEntry struct {
	Name, Body string
	Store      bool // ODF's mimetype must be stored, uncompressed and first
}

// Zip builds an archive of entries, in order (Deflate unless Store).
func Zip(entries ...ZipEntry) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		method := zip.Deflate
		if e.Store {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.Name, Method: method})
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(w, e.Body); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// CP1252 encodes s in Windows-1252, failing on a rune it lacks.
func CP1252(s string) ([]byte, error) {
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("encode %q in windows-1252: %w", s, err)
	}
	return b, nil
}

// xmlText escapes what must be escaped in XML character data (quotes and
// apostrophes are left alone: they are fine there, and readable).
var xmlText = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace
