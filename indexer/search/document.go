package search

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	index "github.com/blevesearch/bleve_index_api"
)

// Document is one file as the index sees it. The caller (the repository
// core) builds it from its metadata and the extracted text.
type Document struct {
	ID        string    // node id (a file), stable across renames/moves
	Name      string    // file name
	Path      string    // full path "/Dossier/sous/fichier.pdf"
	Ancestors []string  // ids of every ancestor folder, root first
	Tags      []string  // as the users wrote them; matched case- and accent-insensitively
	Mime      string    // mime type, used with the extension for the type family
	Author    string    // login; matched case-insensitively
	Modified  time.Time // last modification
	Size      int64     // bytes
	Lang      string    // "fr" or "en" (detected upstream); anything else is treated as "fr"
	Content   string    // extracted text, up to 10 MiB; not stored in the index
	// The document's own title and date, read at extraction (zero when it
	// has none): the title counts less than the name and more than the
	// text; the date (see
	// DocumentDate) files the document under its year.
	Title string
	Date  time.Time
}

// meta is what a Hit needs, stored as one JSON field so that loading a hit
// costs one stored-field read. The content is deliberately absent.
type meta struct {
	ID       string    `json:"i"`
	Name     string    `json:"n"`
	Path     string    `json:"p"`
	Mime     string    `json:"m,omitempty"`
	Author   string    `json:"a,omitempty"`
	Size     int64     `json:"s"`
	Modified time.Time `json:"d"`
	Tags     []string  `json:"t,omitempty"`
	Lang     string    `json:"l,omitempty"`
	Title    string    `json:"h,omitempty"`
	Date     time.Time `json:"w,omitzero"` // DocumentDate, when it is not Modified
}

const (
	optKeyword = index.IndexField
	optFacet   = index.IndexField | index.DocValues
	optVectors = index.IndexField | index.IncludeTermVectors
)

// buildDocument turns d into a bleve document. Analysis itself happens
// later, inside bleve's batch (on its analysis workers).
func buildDocument(a *analyzers, d *Document) (*document.Document, error) {
	if d.ID == "" {
		return nil, fmt.Errorf("document with empty ID (path %q)", d.Path)
	}
	doc := document.NewDocument(d.ID)
	text := func(name, value string, opts index.FieldIndexingOptions, an analysis.Analyzer) {
		if value != "" {
			doc.AddField(document.NewTextFieldCustom(name, nil, []byte(value), opts, an))
		}
	}
	keywords := func(name string, values []string, opts index.FieldIndexingOptions) {
		seen := make(map[string]bool, len(values))
		for _, v := range values {
			if v == "" || seen[v] {
				continue
			}
			seen[v] = true
			// Array positions keep multi-valued terms distinct in doc values.
			pos := []uint64{uint64(len(seen) - 1)}
			doc.AddField(document.NewTextFieldCustom(name, pos, []byte(v), opts, nil))
		}
	}

	content := d.Content
	if !utf8.ValidString(content) {
		content = strings.ToValidUTF8(content, "\uFFFD")
	}
	text(fName, d.Name, optVectors, a.name)
	text(fTitle, d.Title, optVectors, a.name)
	text(fPath, d.Path, optVectors, a.name)
	// The content is indexed twice: folded with positions (accents
	// optional, phrases) and stemmed in the document's language without
	// positions (plurals, conjugations), which keeps the second copy small.
	langAn, langField := a.forLang(d.Lang)
	if a.content != nil && content != "" {
		fold, stem := newContentFields(a.content, []byte(content), d.Lang, langField)
		doc.AddField(fold)
		doc.AddField(stem)
	} else {
		text(fContent, content, optVectors, a.fold)
		text(langField, content, optKeyword, langAn)
	}

	tagKeys := make([]string, 0, len(d.Tags))
	for _, t := range d.Tags {
		tagKeys = append(tagKeys, foldKeyword(t))
	}
	keywords(fTagKey, tagKeys, optKeyword)
	keywords(fType, typeTerms(d.Name, d.Mime), optKeyword)
	keywords(fACL, append(append([]string{}, d.Ancestors...), d.ID), optKeyword)
	keywords(fFolders, folderKeys(d.Path), optKeyword)
	keywords(fAuthor, []string{strings.ToLower(d.Author)}, optKeyword)
	keywords(fSuggest, suggestTerms(a, d), optKeyword)

	mod := d.Modified.UTC()
	when := DocumentDate(d.Name, d.Date, mod)
	if !when.IsZero() {
		df, err := document.NewDateTimeFieldWithIndexingOptions(fModified, nil, when, time.RFC3339, optFacet)
		if err != nil {
			return nil, fmt.Errorf("document %s: date %v: %w", d.ID, when, err)
		}
		doc.AddField(df)
	}
	doc.AddField(document.NewNumericFieldWithIndexingOptions(fSize, nil, float64(d.Size), optKeyword))
	keywords(fFacets, facetValues(d), optFacet)

	m := meta{
		ID: d.ID, Name: d.Name, Path: d.Path, Mime: d.Mime, Author: d.Author,
		Size: d.Size, Modified: mod, Tags: d.Tags, Lang: d.Lang, Title: d.Title,
	}
	if !when.Equal(mod) {
		m.Date = when
	}
	stored, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("document %s: encoding stored fields: %w", d.ID, err)
	}
	doc.AddField(document.NewTextFieldWithIndexingOptions(fMeta, nil, stored, index.StoreField))
	return doc, nil
}

// topFolder returns the id of the first-level folder containing the
// document, for the Folders facet. Callers may or may not include the
// repository root in Ancestors; the path tells which: a path with k folder
// components has its first-level folder at Ancestors[len-k]. Documents at
// the top level have no first-level folder ("").
func topFolder(p string, ancestors []string) string {
	k := len(folderComponents(p))
	if k == 0 || len(ancestors) < k {
		return ""
	}
	return ancestors[len(ancestors)-k]
}

// folderComponents returns the folder names of a file path:
// "/A/b/f.pdf" gives [A b].
func folderComponents(p string) []string {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	if len(parts) <= 1 {
		return nil
	}
	return parts[:len(parts)-1]
}

// folderKeys are the folded values folder: can match: each folder name
// ("compta") and each folder path ("/compta/2024").
func folderKeys(p string) []string {
	comps := folderComponents(p)
	out := make([]string, 0, 2*len(comps))
	var prefix string
	for _, c := range comps {
		k := foldKeyword(c)
		prefix += "/" + k
		out = append(out, k, prefix)
	}
	return out
}

// folderQueryKey normalises the value of a folder: clause the way
// folderKeys normalises indexed values.
func folderQueryKey(s string) string {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "/") {
		return foldKeyword(s)
	}
	var b strings.Builder
	for _, c := range strings.Split(strings.Trim(s, "/"), "/") {
		if c = foldKeyword(c); c != "" {
			b.WriteString("/" + c)
		}
	}
	return b.String()
}
