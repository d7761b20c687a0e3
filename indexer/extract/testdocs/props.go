package testdocs

import "fmt"

// Documents carrying their own title and date, as office suites and PDF
// producers write them.

// PDFWithInfo is a one-page PDF saying text, with an /Info dictionary:
// /Title title and /CreationDate created (a PDF date string such as
// "D:20250314103000+01'00'").
func PDFWithInfo(text, title, created string) ([]byte, error) {
	content, err := pageContent([]string{text})
	if err != nil {
		return nil, err
	}
	t, err := pdfString(title)
	if err != nil {
		return nil, err
	}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
		fontDict,
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
		pdfStream("", content),
		fmt.Sprintf("<< /Title %s /CreationDate (%s) /Producer (testdocs) >>", t, created),
	}
	return PDFObjects(objs, func(int) string { return "/Info 6 0 R " }, 0), nil
}

// DOCXWithCore is the DOCX document (see DOCX) with docProps/core.xml
// giving dc:title title, dcterms:created created and dcterms:modified
// modified (W3CDTF, e.g. "2025-03-14T09:30:00Z"; empty: left out).
func DOCXWithCore(phrase, title, created, modified string) ([]byte, error) {
	core := XMLHeader + `<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" ` +
		`xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
		`<dc:title>` + xmlText(title) + `</dc:title><dc:creator>Secrétariat</dc:creator>`
	if created != "" {
		core += `<dcterms:created xsi:type="dcterms:W3CDTF">` + created + `</dcterms:created>`
	}
	if modified != "" {
		core += `<dcterms:modified xsi:type="dcterms:W3CDTF">` + modified + `</dcterms:modified>`
	}
	core += `</cp:coreProperties>`
	return Zip(
		ZipEntry{Name: "[Content_Types].xml", Body: ContentTypes(`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>`)},
		ZipEntry{Name: "_rels/.rels", Body: Rels([3]string{"rId1", "officeDocument", "word/document.xml"},
			[3]string{"rId2", "../package/2006/relationships/metadata/core-properties", "docProps/core.xml"})},
		ZipEntry{Name: "word/document.xml", Body: XMLHeader + `<w:document ` + WordNS + `><w:body><w:p><w:r><w:t>Le ` + xmlText(phrase) + ` est approuvé.</w:t></w:r></w:p></w:body></w:document>`},
		ZipEntry{Name: "docProps/core.xml", Body: core},
	)
}

// ODTWithMeta is an OpenDocument text saying "Le <phrase> est approuvé."
// whose meta.xml gives dc:title title and meta:creation-date created
// (e.g. "2024-11-05T18:00:00").
func ODTWithMeta(phrase, title, created string) ([]byte, error) {
	const mimeType = "application/vnd.oasis.opendocument.text"
	return Zip(
		ZipEntry{Name: "mimetype", Body: mimeType, Store: true},
		ZipEntry{Name: "META-INF/manifest.xml", Body: XMLHeader + `<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">` +
			`<manifest:file-entry manifest:full-path="/" manifest:media-type="` + mimeType + `"/>` +
			`<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>` +
			`<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/></manifest:manifest>`},
		ZipEntry{Name: "content.xml", Body: XMLHeader + `<office:document-content ` + odfNS + `><office:body><office:text>` +
			`<text:p>Le ` + xmlText(phrase) + ` est approuvé.</text:p></office:text></office:body></office:document-content>`},
		ZipEntry{Name: "meta.xml", Body: XMLHeader + `<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" ` +
			`xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3"><office:meta>` +
			`<meta:generator>LibreOffice</meta:generator><dc:title>` + xmlText(title) + `</dc:title>` +
			`<meta:creation-date>` + created + `</meta:creation-date><dc:date>2026-01-02T10:00:00</dc:date></office:meta></office:document-meta>`},
	)
}

// DOCXWithHeading is a Word document without a title property whose first
// paragraph, styled styleID ("Heading1", "Titre1", "Title"…), says heading
// and whose second says body.
func DOCXWithHeading(styleID, heading, body string) ([]byte, error) {
	return DOCXBody(`<w:p><w:pPr><w:pStyle w:val="` + xmlText(styleID) + `"/></w:pPr><w:r><w:t>` + xmlText(heading) + `</w:t></w:r></w:p>` +
		`<w:p><w:r><w:t>` + xmlText(body) + `</w:t></w:r></w:p>`)
}

// ODTWithHeading is an OpenDocument text without meta.xml whose first
// heading (outline level 1) says heading and whose paragraph says body.
func ODTWithHeading(heading, body string) ([]byte, error) {
	return ODF("application/vnd.oasis.opendocument.text", `<office:text>`+
		`<text:p>`+xmlText(body)+`</text:p>`+
		`<text:h text:outline-level="1">`+xmlText(heading)+`</text:h>`+
		`<text:h text:outline-level="1">Deuxième titre</text:h>`+
		`<text:p>`+xmlText(body)+`</text:p></office:text>`)
}

// HTMLPage is an HTML page with the given <title> (none when empty), a
// first h1 heading and a paragraph body.
func HTMLPage(title, heading, body string) []byte {
	var head string
	if title != "" {
		head = "<title>" + xmlText(title) + "</title>"
	}
	return []byte("<!doctype html><html><head><meta charset=utf-8>" + head + "</head><body><p>" + xmlText(body) +
		"</p><h1>" + xmlText(heading) + "</h1><h1>Deuxième titre</h1><p>" + xmlText(body) + "</p></body></html>")
}

// MarkdownWithHeading is a Markdown text whose first level-1 heading says heading,
// after a paragraph and a level-2 heading.
func MarkdownWithHeading(heading, body string) []byte {
	return []byte(body + "\n\n## Sous-titre\n\n# " + heading + "\n\n" + body + "\n\n# Deuxième titre\n")
}
